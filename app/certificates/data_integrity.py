"""Embedded Data Integrity proofs (W3C vc-di-eddsa, cryptosuite ``eddsa-rdfc-2022``).

To prove a credential: canonicalise it (RDF Dataset Canonicalization, RDFC-1.0, with pyld) and
the proof options (the proof without its value, under the credential's ``@context``); the
signed bytes are SHA-256(options) followed by SHA-256(credential); the Ed25519 signature is the
``proofValue``, multibase base58btc ("z…"). The verification method is our key in the issuer's
did:web DID document (:mod:`app.certificates.did`).

JSON-LD contexts are never fetched: :func:`document_loader` serves the copies in
``contexts/`` and refuses every other URL, so a credential naming an unknown context cannot be
signed or verified here.
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from app.certificates.did import base58btc, base58btc_decode, verification_method_id
from app.certificates.signing import KeyRing

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_PURPOSE = "assertionMethod"
CONTEXTS_DIR = Path(__file__).with_name("contexts")
#: the JSON-LD contexts we serve offline, by URL (sources and licences: contexts/README.md)
CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-context-3.0.3.json",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
}


class ProofError(ValueError):
    """A credential cannot be proved or its proof is malformed."""


@functools.cache
def _context_document(url: str) -> dict[str, Any]:
    return json.loads((CONTEXTS_DIR / CONTEXT_FILES[url]).read_text(encoding="utf-8"))


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld's document loader: our vendored contexts only, never the network."""
    from pyld.jsonld import JsonLdError

    if url not in CONTEXT_FILES:
        raise JsonLdError(f"Refusing to load {url}: only the bundled JSON-LD contexts are used.",
                          "jsonld.LoadDocumentError", {"url": url},
                          code="loading document failed")
    return {"contextUrl": None, "documentUrl": url,
            "document": copy.deepcopy(_context_document(url))}


def canonical_nquads(document: dict[str, Any]) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (contexts from our copies)."""
    from pyld import jsonld

    try:
        return jsonld.normalize(document, {"algorithm": "URDNA2015",
                                           "format": "application/n-quads",
                                           "documentLoader": document_loader})
    except jsonld.JsonLdError as error:
        raise ProofError(f"The credential cannot be canonicalised: {error}") from error


def add_proof(credential: dict[str, Any], keyring: KeyRing, base_url: str,
              created: str) -> dict[str, Any]:
    """Return a copy of the credential carrying an eddsa-rdfc-2022 proof by the signing key."""
    unsecured = {key: value for key, value in credential.items() if key != "proof"}
    options = {"type": PROOF_TYPE, "cryptosuite": CRYPTOSUITE, "created": created,
               "verificationMethod": verification_method_id(base_url, keyring.signing_kid),
               "proofPurpose": PROOF_PURPOSE}
    signature = keyring.signing_key.sign(_hash_data(unsecured, options))
    # a list: VC 2.0 allows one proof or several, the OB 3.0 JSON schema only a list
    return {**unsecured, "proof": [{**options, "proofValue": "z" + base58btc(signature)}]}


def verify_proof(credential: dict[str, Any], public_key: Ed25519PublicKey) -> bool:
    """Check a credential's eddsa-rdfc-2022 proof with a public key; never raises on bad input."""
    proofs = credential.get("proof")
    proof = proofs[0] if isinstance(proofs, list) and len(proofs) == 1 else proofs
    if not isinstance(proof, dict) or proof.get("type") != PROOF_TYPE \
            or proof.get("cryptosuite") != CRYPTOSUITE:
        return False
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        return False
    try:
        signature = base58btc_decode(value[1:])
        options = {key: item for key, item in proof.items() if key != "proofValue"}
        unsecured = {key: item for key, item in credential.items() if key != "proof"}
        public_key.verify(signature, _hash_data(unsecured, options))
    except (ValueError, ProofError, InvalidSignature):
        return False
    return True


def _hash_data(unsecured: dict[str, Any], options: dict[str, Any]) -> bytes:
    config = {"@context": unsecured.get("@context"), **options}
    return (hashlib.sha256(canonical_nquads(config).encode("utf-8")).digest()
            + hashlib.sha256(canonical_nquads(unsecured).encode("utf-8")).digest())
