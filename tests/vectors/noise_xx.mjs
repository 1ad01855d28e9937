// Generates noise_xx.json: a libp2p Noise XX handshake and transport frames
// computed with node:crypto only, from fixed keys, so that the C++
// implementation is checked against an independent one.
//   node tests/vectors/noise_xx.mjs > tests/vectors/noise_xx.json
import crypto from 'node:crypto'

const hex = (b) => Buffer.from(b).toString('hex')
const fill = (v) => Buffer.alloc(32, v)
const sha256 = (...parts) => crypto.createHash('sha256').update(Buffer.concat(parts)).digest()
const hmac = (key, ...parts) => crypto.createHmac('sha256', key).update(Buffer.concat(parts)).digest()

const x25519Private = (secret) => crypto.createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), secret]), format: 'der', type: 'pkcs8' })
const x25519Public = (secret) => crypto.createPublicKey(x25519Private(secret)).export({ format: 'der', type: 'spki' }).subarray(-32)
const dh = (secret, pub) => crypto.diffieHellman({
  privateKey: x25519Private(secret),
  publicKey: crypto.createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), pub]), format: 'der', type: 'spki' }) })
const edPrivate = (seed) => crypto.createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' })
const edPublic = (seed) => crypto.createPublicKey(edPrivate(seed)).export({ format: 'der', type: 'spki' }).subarray(-32)

const aead = (key, n, ad, pt) => {
  const nonce = Buffer.alloc(12); nonce.writeBigUInt64LE(BigInt(n), 4)
  const c = crypto.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 })
  c.setAAD(ad, { plaintextLength: pt.length })
  return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()])
}

class Sym {
  constructor () { this.h = Buffer.from('Noise_XX_25519_ChaChaPoly_SHA256'); this.ck = this.h; this.k = null; this.n = 0; this.mixHash(Buffer.alloc(0)) }
  mixHash (d) { this.h = sha256(this.h, d) }
  mixKey (ikm) { const t = hmac(this.ck, ikm); const o1 = hmac(t, Buffer.from([1])); const o2 = hmac(t, o1, Buffer.from([2])); this.ck = o1; this.k = o2; this.n = 0 }
  encryptAndHash (pt) { const ct = this.k ? aead(this.k, this.n++, this.h, pt) : pt; this.mixHash(ct); return ct }
  split () { const t = hmac(this.ck, Buffer.alloc(0)); const k1 = hmac(t, Buffer.from([1])); const k2 = hmac(t, k1, Buffer.from([2])); return [k1, k2] }
}

// PublicKey protobuf (08 01 12 20 || pk) and NoiseHandshakePayload {1: key, 2: sig}.
const payload = (idSeed, staticPub) => {
  const key = Buffer.concat([Buffer.from('08011220', 'hex'), edPublic(idSeed)])
  const sig = crypto.sign(null, Buffer.concat([Buffer.from('noise-libp2p-static-key:'), staticPub]), edPrivate(idSeed))
  return Buffer.concat([Buffer.from([0x0a, key.length]), key, Buffer.from([0x12, sig.length]), sig])
}

const I = { id: fill(1), s: fill(0x11), e: fill(0x21) }
const R = { id: fill(2), s: fill(0x12), e: fill(0x22) }
for (const p of [I, R]) { p.sp = x25519Public(p.s); p.ep = x25519Public(p.e) }

// One symmetric state suffices: both sides compute the same transcript.
const st = new Sym()
st.mixHash(I.ep); const msg1 = Buffer.concat([I.ep, st.encryptAndHash(Buffer.alloc(0))])
st.mixHash(R.ep); st.mixKey(dh(R.e, I.ep))
const encRs = st.encryptAndHash(R.sp); st.mixKey(dh(R.s, I.ep))
const msg2 = Buffer.concat([R.ep, encRs, st.encryptAndHash(payload(R.id, R.sp))])
const encIs = st.encryptAndHash(I.sp); st.mixKey(dh(I.s, R.ep))
const msg3 = Buffer.concat([encIs, st.encryptAndHash(payload(I.id, I.sp))])
const [k1, k2] = st.split()

// msg2 again, but its identity signature covers a different static key.
const bad = new Sym()
bad.mixHash(I.ep); bad.encryptAndHash(Buffer.alloc(0))
bad.mixHash(R.ep); bad.mixKey(dh(R.e, I.ep))
const badRs = bad.encryptAndHash(R.sp); bad.mixKey(dh(R.s, I.ep))
const msg2BadSig = Buffer.concat([R.ep, badRs, bad.encryptAndHash(payload(R.id, x25519Public(fill(0x13))))])

console.log(JSON.stringify({
  description: 'libp2p Noise XX with fixed keys, computed by node:crypto (tests/vectors/noise_xx.mjs)',
  initiator: { identity_seed: hex(I.id), static_secret: hex(I.s), ephemeral_secret: hex(I.e) },
  responder: { identity_seed: hex(R.id), static_secret: hex(R.s), ephemeral_secret: hex(R.e) },
  msg1: hex(msg1), msg2: hex(msg2), msg3: hex(msg3),
  msg2_bad_signature: hex(msg2BadSig),
  handshake_hash: hex(st.h),
  transport: [
    { from: 'initiator', nonce: 0, plaintext: hex(Buffer.from('hello')), ciphertext: hex(aead(k1, 0, Buffer.alloc(0), Buffer.from('hello'))) },
    { from: 'initiator', nonce: 1, plaintext: hex(Buffer.from('again')), ciphertext: hex(aead(k1, 1, Buffer.alloc(0), Buffer.from('again'))) },
    { from: 'responder', nonce: 0, plaintext: hex(Buffer.from('world')), ciphertext: hex(aead(k2, 0, Buffer.alloc(0), Buffer.from('world'))) }
  ]
}, null, 2))
