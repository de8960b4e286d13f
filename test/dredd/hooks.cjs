// Dredd hooks for the blueprint's own examples (cancan-api-v2.apib), run unchanged
// but for what a real POS would differ in: its API key, and ids unique to its merchant.
// DREDD_API_KEY: a test key of a merchant with the WeChat Pay gateways; DREDD_SERVER: base URL.
const hooks = require('hooks');

const apiKey = process.env.DREDD_API_KEY;
const server = process.env.DREDD_SERVER;
const SALE_ID = 'c2f5a10a-d7a7-4d69-83fa-b57c343d22d4';
const created = {};

// The examples' sale, set up through the API itself (WeChat Pay simulator, paid at once).
hooks.beforeAll((transactions, done) => {
  const body = {
    data: {
      id: SALE_ID,
      type: 'sale',
      attributes: {
        payment_gateway: 'wechatpay_cn_domestic',
        payment_auth_key: '134567890123456789',
        amount: 10000,
        currency: 'CNY',
        description: 'Item 246',
        pos_id: 'POS123',
        mch_level_1: 'Thailand',
        mch_level_2: 'Bangkok',
        mch_level_3: 'Bang Rak',
      },
    },
  };
  fetch(`${server}/api/v2/transactions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', prefer: 'wait=10' },
    body: JSON.stringify(body),
  })
    .then(async (res) => {
      const json = await res.json();
      if (json.data?.attributes?.state !== 'succeeded') throw new Error(`setup sale not succeeded: ${JSON.stringify(json)}`);
      done();
    })
    .catch((error) => {
      hooks.log(`setup failed: ${error}`);
      transactions.forEach((t) => {
        t.fail = `setup failed: ${error}`;
      });
      done();
    });
});

hooks.beforeEach((transaction) => {
  transaction.request.headers.Authorization = `Bearer ${apiKey}`;
});

// The blueprint's void and refund examples share one id; a merchant's ids are unique, so each gets its own.
function uniqueId(transaction, kind) {
  const body = JSON.parse(transaction.request.body);
  body.data.id = `${body.data.id}-${kind}`;
  created[kind] = body.data.id;
  transaction.request.body = JSON.stringify(body);
}
hooks.before('Transactions > Create a Transaction > Create a Void', (t) => uniqueId(t, 'void'));
hooks.before('Transactions > Create a Transaction > Create a Refund', (t) => uniqueId(t, 'refund'));

// The three Retrieve examples all name the sale's id; retrieve the void and refund created above.
function retrieve(transaction, kind) {
  transaction.fullPath = transaction.fullPath.replace(SALE_ID, created[kind]);
  transaction.request.uri = transaction.request.uri.replace(SALE_ID, created[kind]);
}
hooks.before('Transactions > Retrieve a Transaction > Retrieve a Void', (t) => retrieve(t, 'void'));
hooks.before('Transactions > Retrieve a Transaction > Retrieve a Refund', (t) => retrieve(t, 'refund'));

// The blueprint's MSON types failure_code/failure_detail as string, while its own
// examples and its text say they are `null` when no failure occurred. The examples
// and text are the contract clients rely on, so the generated schema admits null.
hooks.beforeEachValidation((transaction) => {
  if (!transaction.expected.bodySchema) return;
  const schema = JSON.parse(transaction.expected.bodySchema);
  const attributes = schema.properties?.data?.properties?.attributes?.properties;
  for (const name of ['failure_code', 'failure_detail']) {
    if (attributes?.[name]) attributes[name].type = ['string', 'null'];
  }
  transaction.expected.bodySchema = JSON.stringify(schema);
});
