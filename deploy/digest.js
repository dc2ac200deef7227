'use strict';

// DIGEST_TOPIC_ARN for serverless.yml: the digest topic's ARN when
// `--param=digestEmail=ADDRESS` is given, else nothing (the variable stays
// unset). The topic, its e-mail subscription and the sns:Publish policy are
// resources of serverless.yml under the HasDigestEmail condition; this only
// keeps the environment plain strings without the param, so that
// `serverless invoke local` needs no AWS.

async function digestEmail(resolveVariable) {
  const value = await resolveVariable('param:digestEmail, null');
  return typeof value === 'string' && value.trim() ? value.trim() : null;
}

module.exports.topicArn = async ({ resolveVariable }) =>
  (await digestEmail(resolveVariable))
    ? { 'Fn::If': ['HasDigestEmail', { Ref: 'DigestTopic' }, { Ref: 'AWS::NoValue' }] }
    : null;
