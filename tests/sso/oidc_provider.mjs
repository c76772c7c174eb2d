// An OpenID Connect provider for the sign-on tests: node-oidc-provider (OpenID Certified),
// listening on 127.0.0.1 on a free port, with its development login and consent pages.
//
// Input (environment):
//   OIDC_CLIENTS   JSON list of client metadata (client_id, client_secret, redirect_uris)
//   OIDC_ACCOUNTS  JSON object: account id -> claims (email, email_verified, name)
// Output (stdout): one line "ready <issuer>" once it listens. It stops on SIGTERM, or when its
// stdin closes (the test process that started it has gone).
//
// The tests play a provider that misbehaves through GET /__test/mode?set=<mode>; every token
// answer after that carries an ID token that is
//   pass            as issued
//   tamper          altered: one character of its payload changed, signature kept
//   other-audience  re-signed with the provider's own key for another client ("other-app")
//   expired         re-signed with the provider's own key, expired an hour ago
import {createServer} from 'node:http';
import {createSign, generateKeyPairSync, randomUUID} from 'node:crypto';

import Provider from 'oidc-provider';

const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || '{}');

const {privateKey} = generateKeyPairSync('rsa', {modulusLength: 2048});
const kid = randomUUID();
const signingKey = {...privateKey.export({format: 'jwk'}), kid, alg: 'RS256', use: 'sig'};

let mode = 'pass';

const b64 = value => Buffer.from(value).toString('base64url');

function resign(idToken, change) {
  const [header, payload] = idToken.split('.');
  const claims = change(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  const input = `${header}.${b64(JSON.stringify(claims))}`;
  const signature = createSign('RSA-SHA256').update(input).sign(privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

function tamper(idToken) {
  const [header, payload, signature] = idToken.split('.');
  const middle = Math.floor(payload.length / 2);
  const swapped = payload[middle] === 'A' ? 'B' : 'A';
  return `${header}.${payload.slice(0, middle)}${swapped}${payload.slice(middle + 1)}.${signature}`;
}

const alterations = {
  pass: token => token,
  tamper,
  'other-audience': token => resign(token, claims => ({...claims, aud: 'other-app', azp: 'other-app'})),
  expired: token => resign(token, claims => ({
    ...claims, iat: claims.iat - 7200, exp: Math.floor(Date.now() / 1000) - 3600,
  })),
};

function alterTokenAnswer(res) {
  const end = res.end.bind(res);
  res.end = (chunk, ...rest) => {
    if (chunk && res.statusCode === 200) {
      const body = JSON.parse(chunk.toString('utf8'));
      if (body.id_token) {
        body.id_token = alterations[mode](body.id_token);
        chunk = JSON.stringify(body);
        res.setHeader('content-length', Buffer.byteLength(chunk));
      }
    }
    return end(chunk, ...rest);
  };
}

const server = createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients,
    jwks: {keys: [signingKey]},
    cookies: {keys: [randomUUID()]},
    pkce: {required: () => true},
    conformIdTokenClaims: false,
    claims: {openid: ['sub'], email: ['email', 'email_verified'], profile: ['name']},
    features: {devInteractions: {enabled: true}},
    async findAccount(ctx, id) {
      if (!accounts[id]) return undefined;
      return {accountId: id, claims: async () => ({sub: id, ...accounts[id]})};
    },
  });
  const callback = provider.callback();
  server.on('request', (req, res) => {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/__test/mode') {
      mode = alterations[url.searchParams.get('set')] ? url.searchParams.get('set') : 'pass';
      res.end(mode);
      return;
    }
    if (url.pathname === '/token') alterTokenAnswer(res);
    callback(req, res);
  });
  process.stdout.write(`ready ${issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
// The test process holds our stdin open: when it goes (even killed), so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
