// Signs requests and button payloads with Amazon's official Node.js SDK for Amazon Pay API v2
// (@amazonpay/amazon-pay-api-sdk-nodejs, pinned in package-lock.json), through its own
// clientHelper.signHeaders and signPayload, unchanged. Run by tests/clients/test_v2_signing.py:
//
//   node v2_sign.js '<json>'
//
// The JSON holds the SDK configuration (publicKeyId, privateKey, region, sandbox, algorithm,
// overrideServiceUrl), a fixed date (ISO 8601) and a list of requests ({method, urlFragment,
// payload, headers, queryParams}) and button payloads. Prints one JSON object: per request the
// headers the SDK would send and the canonical request and string to sign it hashed and signed
// (read by watching node:crypto, since the SDK does not return them); per payload its signature.
'use strict';

const crypto = require('crypto');

const input = JSON.parse(process.argv[2]);

// A fixed clock: the SDK's x-amz-pay-date is `new Date().toISOString()` without the fraction.
const RealDate = Date;
const fixed = new RealDate(input.date).getTime();
global.Date = class extends RealDate {
  constructor(...args) {
    super(...(args.length ? args : [fixed]));
  }
  static now() {
    return fixed;
  }
};

// What the SDK hashes (payload, then the canonical request) and signs (the string to sign).
const seen = { createHash: [], createSign: [] };
for (const factory of Object.keys(seen)) {
  const make = crypto[factory];
  crypto[factory] = function (...args) {
    const made = make.apply(crypto, args);
    const update = made.update.bind(made);
    made.update = (data, ...rest) => {
      seen[factory].push(String(data));
      return update(data, ...rest);
    };
    return made;
  };
}

const helper = require('@amazonpay/amazon-pay-api-sdk-nodejs/src/clientHelper');

const config = input.config;
const requests = input.requests.map((request) => {
  seen.createHash.length = 0;
  seen.createSign.length = 0;
  // As the SDK's client does for every call: the path prefix by key/sandbox, then the headers.
  const options = helper.prepareOptions(config, {
    method: request.method,
    urlFragment: request.urlFragment,
    payload: request.payload,
    headers: request.headers || {},
    queryParams: request.queryParams,
  });
  const headers = helper.signHeaders(config, options);
  return {
    path: `/${options.urlFragment}`,
    payload: options.payload === undefined ? '' : options.payload,
    headers,
    canonicalRequest: seen.createHash[1],
    stringToSign: seen.createSign[0],
  };
});
const buttons = (input.buttons || []).map((payload) => helper.signPayload(config, payload));

process.stdout.write(JSON.stringify({ requests, buttons }));
