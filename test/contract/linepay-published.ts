/**
 * LINE Pay's published Offline API examples, as LINE Pay's developer site
 * shows them (developers-pay.line.me: "Offline API v4" → Payment request,
 * Check payment status, Refund, Payment details; "Process LINE POINTS payment
 * separately"; "Offline API v2" → Payment request field table). There is no
 * independent implementation of offline LINE Pay on npm, so these examples
 * are what the adapter and the simulator are each checked against, apart.
 */

/** v4 payment request example (POST /v4/payments/oneTimeKeys/pay), exactly as published. */
export const V4_PAY_REQUEST = `{
  "amount": 100,
  "orderId": "merchant_test_order_1",
  "oneTimeKey": "12345678901245678",
  "currency": "TWD",
  "packages": [
    {
      "id": "29d2397-357f-3446-58315",
      "amount": 100,
      "products": [
        {
          "name": "test product",
          "quantity": 1,
          "price": 100
        }
      ]
    }
  ]
}`;

/** The v2 payment request's documented body fields (the page's field table). */
export const V2_PAY_REQUEST_FIELDS = ['amount', 'capture', 'currency', 'extras', 'oneTimeKey', 'orderId', 'productName'] as const;
/** The v4 payment request's documented body fields. */
export const V4_PAY_REQUEST_FIELDS = ['amount', 'currency', 'oneTimeKey', 'options', 'orderId', 'packages'] as const;

/** v4 payment response example: two methods adding up to 15, a 19-digit transactionId. */
export const V4_PAY_RESPONSE = `{
  "returnCode": "0000",
  "returnMessage": "success",
  "info": {
    "transactionId": 2019010112345678910,
    "orderId": "test_order_1",
    "transactionDate": "2019-01-01T01:01:00Z",
    "payInfo": [
      { "method": "CREDIT_CARD", "amount": 10 },
      { "method": "POINT", "amount": 5 }
    ],
    "paymentProvider": "TSP"
  }
}`;

/** Payment response example of the LINE POINTS page (one method). */
export const POINTS_PAY_RESPONSE = `{
  "returnCode": "0000",
  "returnMessage": "OK",
  "info": {
    "orderId": "order_210124213",
    "transactionId": 20140101123123123,
    "payInfo": [
      { "method": "POINT", "amount": 15 }
    ]
  }
}`;

/** v4 check payment status response example. */
export const V4_CHECK_RESPONSE = `{
  "returnCode": "0000",
  "returnMessage": "success",
  "info": {
    "status": "COMPLETE",
    "transactionId": 2019010112345678910,
    "orderId": "test_order_1",
    "transactionDate": "2019-01-01T01:01:00Z",
    "payInfo": [
      { "method": "CREDIT_CARD", "amount": 10 },
      { "method": "POINT", "amount": 5 }
    ],
    "paymentProvider": "TSP"
  }
}`;

/** v4 refund response example. */
export const V4_REFUND_RESPONSE = `{
  "returnCode": "0000",
  "returnMessage": "success",
  "info": {
    "refundTransactionId": 2018082512345678911,
    "refundTransactionDate": "2018-08-25T09:15:01Z"
  }
}`;

/** v4 payment details response example (GET /v4/payments?orderId=20190408001): one partial refund of 1. */
export const V4_DETAILS_RESPONSE = `{
  "returnCode": "0000",
  "returnMessage": "success",
  "info": [
    {
      "transactionId": 2019049910005496810,
      "transactionDate": "2019-04-08T06:31:19Z",
      "transactionType": "PAYMENT",
      "productName": "test product",
      "currency": "TWD",
      "payInfo": [
        { "method": "CREDIT_CARD", "amount": 100 }
      ],
      "paymentProvider": "TSP",
      "refundList": [
        {
          "refundTransactionId": 2019049910005497012,
          "transactionType": "PARTIAL_REFUND",
          "refundAmount": -1,
          "refundTransactionDate": "2019-04-08T06:33:17Z"
        }
      ],
      "orderId": "20190408001"
    }
  ]
}`;
