// Drives Amazon's official Node.js SDK for Amazon Pay API v2 (@amazonpay/amazon-pay-api-sdk-nodejs,
// pinned in package-lock.json), unchanged, for the tests (tests/v2/node.py starts it once per test
// module and keeps it).
//
// Reads one JSON object per line on stdin and answers one JSON line on stdout, in order:
//
//   {"client": {<SDK configuration; privateKey as PEM text>}, "call": "getBuyer", "args": [...]}
//       -> {"status": 200, "body": {...}, "headers": {...}}   (an error answer too: its status)
//       -> {"error": "<message>"}                              (no HTTP answer at all)
//   {"client": {...}, "call": "generateButtonSignature", "args": [payload]}
//       -> {"value": "<signature>"}                           (a call that returns no promise)
//   {"client": {...}, "tamper": {"method", "urlFragment", "signed", "sent", "headers"}}
//       -> the answer to a request signed over `signed` by the SDK (getSignedHeaders) but sent
//          with the body `sent` instead (what a proxy that changes bodies would do)
//
// `call` is any WebStoreClient method. The SDK sets NODE_TLS_REJECT_UNAUTHORIZED=0 itself when
// overrideServiceUrl is given (src/clientHelper.js), so the simulator's self-signed certificate
// is accepted, as it is for every merchant pointing the SDK at it.
'use strict';

const readline = require('readline');
const axios = require('axios');
const { WebStoreClient } = require('@amazonpay/amazon-pay-api-sdk-nodejs');

function answerOf(response) {
  return { status: response.status, body: response.data, headers: response.headers };
}

async function failureOf(error) {
  if (error && error.response) return answerOf(error.response);
  if (error && typeof error.status === 'number') return answerOf(error);
  return { error: String((error && error.message) || error) };
}

async function tampered(client, spec) {
  const options = {
    method: spec.method,
    urlFragment: spec.urlFragment,
    payload: spec.signed,
    headers: spec.headers || {},
  };
  const headers = client.getSignedHeaders(options); // prefixes options.urlFragment with the base
  const url = `https://${client.configArgs.overrideServiceUrl}/${options.urlFragment}`;
  const sent = typeof spec.sent === 'string' ? spec.sent : JSON.stringify(spec.sent);
  return answerOf(await axios.request({
    method: spec.method, url, headers, data: sent, validateStatus: () => true,
  }));
}

async function run(step) {
  const client = new WebStoreClient(step.client);
  try {
    if (step.tamper) return await tampered(client, step.tamper);
    const method = client[step.call];
    if (typeof method !== 'function') return { error: `no SDK method ${step.call}` };
    const result = method.apply(client, step.args || []);
    if (!result || typeof result.then !== 'function') return { value: result };
    return answerOf(await result);
  } catch (error) {
    return failureOf(error);
  }
}

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on('line', (line) => {
  if (!line.trim()) return;
  queue = queue.then(async () => {
    let answer;
    try {
      answer = await run(JSON.parse(line));
    } catch (error) {
      answer = { error: String(error) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  });
});
