// Which deployment layout serverless.yml builds, decided by the `orgs` param:
//   (absent)        one organisation: the schedule invokes the function (`org` param)
//   --param=orgs=*  many organisations: the schedule starts a Step Functions
//                   state machine (list -> Map -> roll-up), see
//                   many-organisations.yml and docs/organisations.md.
// Also turns `orgsConcurrency` into the number the Map state needs.
"use strict";

// An inline Map state runs at most 40 iterations at once.
const MAX_CONCURRENCY = 40;

// A GitHub organisation login (as datalogger/config.py checks it).
const LOGIN = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/;

module.exports = async ({ resolveVariable }) => {
  const orgs = String((await resolveVariable("param:orgs, ''")) || "").trim();
  if (orgs && orgs !== "*") {
    for (const login of orgs.split(",").map((part) => part.trim())) {
      if (!LOGIN.test(login)) {
        throw new Error(
          `Invalid param orgs: ${JSON.stringify(login)} is not an organisation login. ` +
            'Pass --param=orgs=\'*\' for every organisation where the App is installed, ' +
            "or logins like --param=orgs=acme,globex."
        );
      }
    }
  }
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
