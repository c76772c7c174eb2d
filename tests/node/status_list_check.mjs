// Reads our status lists with @digitalbazaar/vc-bitstring-status-list, the W3C Bitstring
// Status List library from npm, as an independent check of what the application publishes.
//
// Input (stdin, JSON):
//   {"credential": <an Open Badges credential with credentialStatus>,   (optional)
//    "documents": {<status list URL>: <the BitstringStatusListCredential JSON>},
//    "lists": [{"encodedList": "u...", "indexes": [0, 5]}]}               (optional)
// Output (stdout, JSON):
//   {"checkStatus": {"verified": true, "results": [{"statusPurpose": "revocation",
//                                                    "status": false}, ...]},
//    "lists": [{"length": 131072, "statuses": [false, true]}]}
// The status list credential's own signature is checked by the Python tests (JWT against
// the JWKS, Data Integrity proof); here the library reads the list and matches the issuer,
// purpose and types as a verifier does.
import {checkStatus, decodeList} from '@digitalbazaar/vc-bitstring-status-list';

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function main() {
  const input = await readStdin();
  const documents = input.documents || {};
  const output = {};
  if(input.credential) {
    const documentLoader = async url => {
      if(!(url in documents)) {
        throw new Error(`not available offline: ${url}`);
      }
      return {contextUrl: null, documentUrl: url, document: documents[url]};
    };
    const result = await checkStatus({
      credential: input.credential,
      documentLoader,
      verifyBitstringStatusListCredential: false,
      verifyMatchingIssuers: true
    });
    output.checkStatus = {
      verified: result.verified,
      error: result.error ? String(result.error.message || result.error) : undefined,
      results: (result.results || []).map(r => ({
        statusPurpose: r.credentialStatus.statusPurpose,
        statusListIndex: r.credentialStatus.statusListIndex,
        status: r.status
      }))
    };
  }
  output.lists = [];
  for(const {encodedList, indexes} of input.lists || []) {
    const list = await decodeList({encodedList});
    output.lists.push({
      length: list.length,
      statuses: indexes.map(index => list.getStatus(index))
    });
  }
  process.stdout.write(JSON.stringify(output));
}

main().catch(error => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
