// Verifies an Open Badges credential's embedded Data Integrity proof with Digital Bazaar's
// libraries (@digitalbazaar/vc, data-integrity, eddsa-rdfc-2022-cryptosuite): an implementation
// independent of ours. Offline: JSON-LD contexts come from the copies the application ships,
// the issuer's DID document from the test.
//
// Usage: node verify_credential.mjs <input.json>
//   input: {"credential": {...}, "didDocument": {...}, "contextsDir": "...",
//           "contexts": {"<url>": "<file>"}, "now": "<ISO date-time>"}
// Prints one JSON line: {"verified": true|false, "errors": [...]}.
import {readFile} from 'node:fs/promises';
import path from 'node:path';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';

const MULTIKEY_CONTEXT = 'https://w3id.org/security/multikey/v1';

async function main() {
  const input = JSON.parse(await readFile(process.argv[2], 'utf8'));
  const documents = new Map();
  for(const [url, file] of Object.entries(input.contexts)) {
    documents.set(url, JSON.parse(
      await readFile(path.join(input.contextsDir, file), 'utf8')));
  }
  const didDocument = input.didDocument;
  documents.set(didDocument.id, didDocument);
  for(const method of didDocument.verificationMethod) {
    // what a did:web resolver answers for a key's DID URL: the key, with its context
    documents.set(method.id, {'@context': MULTIKEY_CONTEXT, ...method});
  }
  const documentLoader = async url => {
    if(!documents.has(url)) {
      throw new Error(`Refusing to load ${url}: offline verification.`);
    }
    return {contextUrl: null, documentUrl: url, document: documents.get(url)};
  };
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  const result = await vc.verifyCredential({
    credential: input.credential, suite, documentLoader, now: input.now,
    // status lists are checked by their own test; here only the proof counts
    checkStatus: async () => ({verified: true})
  });
  const errors = [];
  const collect = error => {
    if(!error) {
      return;
    }
    for(const item of Array.isArray(error) ? error : [error]) {
      const details = item.details ? ` ${JSON.stringify(item.details)}` : '';
      errors.push((item.message || String(item)) + details);
      if(item.errors) {
        collect(item.errors);
      }
    }
  };
  collect(result.error);
  for(const proofResult of result.results || []) {
    collect(proofResult.error);
  }
  console.log(JSON.stringify({verified: result.verified === true, errors}));
}

main().catch(error => {
  console.log(JSON.stringify({verified: false, errors: [error.message]}));
  process.exitCode = 2;
});
