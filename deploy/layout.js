// Which deployment layout serverless.yml builds, decided by the `orgs` param:
//   (absent)        one organisation: the schedule invokes the function (`org` param)
//   --param=orgs=*  many organisations: the schedule starts a Step Functions
//                   state machine (list -> Map -> roll-up), see
//                   many-organisations.yml and docs/organisations.md.
// Also turns `orgsConcurrency` into the number the Map state needs.
"use strict";

// An inline Map state runs at most 40 iterations at once.
const MAX_CONCURRENCY = 40;

module.exports = async ({ resolveVariable }) => {
  const orgs = String((await resolveVariable("param:orgs, ''")) || "").trim();
  const text = String(await resolveVariable("param:orgsConcurrency, '5'")).trim();
  const concurrency = Number(text);
  if (!/^\d+$/.test(text) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    throw new Error(
      `Invalid param orgsConcurrency: ${JSON.stringify(text)} is not a whole number from 1 to ` +
        `${MAX_CONCURRENCY}. Pass e.g. --param=orgsConcurrency=5 (organisations audited at once).`
    );
  }
  return {
    layout: orgs ? "many-organisations" : "one-organisation",
    orgsConcurrency: concurrency,
  };
};
