// Drives a checkout-to-refund flow with the npm package amazon-payments (pinned in
// package-lock.json), unchanged: the only thing set is its endpoint, through the environment
// object the package's own configuration takes. Run by tests/wild/test_node_client.py:
//
//   node oap_flow.js '<json>'
//
// where the JSON names the endpoint, the merchant's credentials, an order reference in Draft
// and the reference ids to use. Prints one JSON object: what each call answered, as the package
// hands it to a shop (its parsed result, or its error's type, message and body).
'use strict';

const amazonPayments = require('amazon-payments');

const input = JSON.parse(process.argv[2]);
const payment = amazonPayments.connect({
  environment: { mwsEndpoint: input.endpoint, apiEndpoint: input.endpoint },
  sellerId: input.sellerId,
  mwsAccessKey: input.accessKey,
  mwsSecretKey: input.secretKey,
  clientId: 'amzn1.application-oa2-client.simulator',
});
const oap = payment.offAmazonPayments;

// The package's callback style, as a promise that never rejects: a shop sees err or result.
function call(method, params) {
  return new Promise((resolve) => {
    oap[method](params, (err, result) => {
      if (err) {
        resolve({ error: { type: err.type, message: err.message } });
      } else {
        resolve({ result });
      }
    });
  });
}

async function flow() {
  const steps = {};
  const order = { AmazonOrderReferenceId: input.orderId };
  steps.setOrderReferenceDetails = await call('setOrderReferenceDetails', {
    ...order,
    OrderReferenceAttributes: {
      OrderTotal: { Amount: input.amount, CurrencyCode: 'USD' },
      SellerNote: 'Node client (amazon-payments)',
    },
  });
  steps.getOrderReferenceDetails = await call('getOrderReferenceDetails', order);
  steps.confirmOrderReference = await call('confirmOrderReference', order);
  steps.authorize = await call('authorize', {
    ...order,
    AuthorizationReferenceId: input.reference + '-a',
    AuthorizationAmount: { Amount: input.amount, CurrencyCode: 'USD' },
    TransactionTimeout: 0,
  });
  const authorizationId = steps.authorize.result
    && steps.authorize.result.AuthorizationDetails.AmazonAuthorizationId;
  steps.capture = await call('capture', {
    AmazonAuthorizationId: authorizationId,
    CaptureReferenceId: input.reference + '-c',
    CaptureAmount: { Amount: input.amount, CurrencyCode: 'USD' },
  });
  const captureId = steps.capture.result
    && steps.capture.result.CaptureDetails.AmazonCaptureId;
  steps.refund = await call('refund', {
    AmazonCaptureId: captureId,
    RefundReferenceId: input.reference + '-r',
    RefundAmount: { Amount: input.refundAmount, CurrencyCode: 'USD' },
  });
  const refundId = steps.refund.result && steps.refund.result.RefundDetails.AmazonRefundId;
  steps.getRefundDetails = await call('getRefundDetails', { AmazonRefundId: refundId });
  // More than the capture is left to refund: Amazon's error, which the shop must see as one.
  steps.refundTooMuch = await call('refund', {
    AmazonCaptureId: captureId,
    RefundReferenceId: input.reference + '-r2',
    RefundAmount: { Amount: '100000.00', CurrencyCode: 'USD' },
  });
  return steps;
}

async function refundDetails() {
  return { getRefundDetails: await call('getRefundDetails', { AmazonRefundId: input.refundId }) };
}

(input.refundId ? refundDetails() : flow()).then(
  (steps) => process.stdout.write(JSON.stringify(steps) + '\n'),
  (err) => {
    process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
    process.exit(1);
  },
);
