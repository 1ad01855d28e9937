// A js-libp2p node driven over stdin/stdout, for agentmesh's interop tests.
//
//   node --import ./polyfill.mjs js-peer.mjs [--seed N] [--listen MA] [--mesh-degree N]
//                                            [--relay-service] [--relay MA] [--autonat-service]
//
// --mesh-degree N: D = Dlo = Dhi = N (Dout 0) and no flood publishing, so once
// its mesh is full it prunes whoever else grafts it; peers outside its mesh
// reach it, and it reaches them, only through IHAVE/IWANT gossip.
//
// --relay-service: a circuit relay v2 server (@libp2p/circuit-relay-v2, its
// default limits). --relay MA: the circuit relay transport, listening on
// MA/p2p-circuit (a reservation on that relay); every change of our addresses
// is printed as {"event":"addrs","addrs":[...]}.
//
// --autonat-service: AutoNAT v1 (@libp2p/autonat): answers dial-back requests
// (and, as js-libp2p does, asks its peers about its own public addresses).
//
// Prints one JSON object per line on stdout:
//   {"event":"listening","peerId":"12D3KooW...","addrs":["/ip4/127.0.0.1/tcp/P/p2p/..."]}
//   {"event":"connect","peer":"..."}            a connection opened
//   {"event":"identify","peer":"...","agentVersion":"...","protocols":[...],
//    "publicKey":"<hex>","listenAddrs":[...],
//    "signedPeerRecord":{"seq","addresses"}|null} identify finished (record verified by js)
//   {"event":"dialed","peer":"..."}             reply to `dial`
//   {"event":"ping","peer":"...","rttMs":N}     reply to `ping`
//   {"event":"peers","peers":[...]}             reply to `peers`
//   {"event":"message","topic":"...","from":"...","msgId":"<hex>","data":"<utf8>","dataHex":"..."}
//   {"event":"subscribers","topic":"...","peers":[...]}  reply to `subscribers`
//   {"event":"mesh","topic":"...","peers":[...]}         reply to `mesh`
//   {"event":"published","topic":"...","recipients":N}   reply to `publish`
//   {"event":"score","peer":"...","score":N}     reply to `score`
//   {"event":"error","command":"...","message":"..."}
// Reads commands on stdin, one per line: dial <ma> | ping <ma|peerId> | peers |
//   subscribe <topic> | publish <topic> <text> | subscribers <topic> | mesh <topic> | score <peerId> | quit
import { createInterface } from 'node:readline'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'
import { autoNAT } from '@libp2p/autonat'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { generateKeyPair, generateKeyPairFromSeed, publicKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'

const args = process.argv.slice(2)
const option = (name, fallback) => {
  const i = args.indexOf(name)
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback
}
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const hex = (bytes) => Buffer.from(bytes).toString('hex')

const seed = option('--seed')
const privateKey = seed === undefined
  ? await generateKeyPair('Ed25519')
  : await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(Number(seed)))

const relay = option('--relay')
const node = await createLibp2p({
  privateKey,
  addresses: { listen: [option('--listen', '/ip4/127.0.0.1/tcp/0'), ...(relay ? [`${relay}/p2p-circuit`] : [])] },
  transports: relay ? [tcp(), circuitRelayTransport()] : [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  services: {
    identify: identify(),
    ping: ping(),
    ...(args.includes('--relay-service') ? { relay: circuitRelayServer() } : {}),
    ...(args.includes('--autonat-service') ? { autonat: autoNAT() } : {}),
    pubsub: gossipsub({
      globalSignaturePolicy: 'StrictSign',
      emitSelf: false,
      allowPublishToZeroTopicPeers: true,
      scoreParams: { IPColocationFactorWeight: 0 },
      ...(option('--mesh-degree') === undefined
        ? {}
        : (() => {
            const d = Number(option('--mesh-degree'))
            return { D: d, Dlo: d, Dhi: d, Dout: 0, Dscore: 0, floodPublish: false }
          })())
    })
  }
})

node.services.pubsub.addEventListener('gossipsub:message', (e) => {
  const { msg, msgId } = e.detail
  emit({
    event: 'message',
    topic: msg.topic,
    from: msg.from?.toString() ?? '',
    msgId: Buffer.from(msgId, 'base64').toString('hex'),
    data: new TextDecoder().decode(msg.data),
    dataHex: hex(msg.data)
  })
})

node.addEventListener('connection:open', (e) => emit({ event: 'connect', peer: e.detail.remotePeer.toString() }))
node.addEventListener('peer:identify', (e) => {
  const r = e.detail
  emit({
    event: 'identify',
    peer: r.peerId.toString(),
    agentVersion: r.agentVersion ?? '',
    protocolVersion: r.protocolVersion ?? '',
    protocols: r.protocols,
    publicKey: r.publicKey ? hex(r.publicKey) : (r.peerId.publicKey ? hex(publicKeyToProtobuf(r.peerId.publicKey)) : ''),
    listenAddrs: r.listenAddrs.map((a) => a.toString()),
    // set only when js verified the peer's signed peer record
    signedPeerRecord: r.signedPeerRecord == null
      ? null
      : { seq: String(r.signedPeerRecord.seq), addresses: r.signedPeerRecord.addresses.map((a) => a.toString()) }
  })
})

node.addEventListener('self:peer:update', () => {
  emit({ event: 'addrs', addrs: node.getMultiaddrs().map((a) => a.toString()) })
})

emit({ event: 'listening', peerId: node.peerId.toString(), addrs: node.getMultiaddrs().map((a) => a.toString()) })

const target = (text) => (text.startsWith('/') ? multiaddr(text) : peerIdFromString(text))

const lines = createInterface({ input: process.stdin })
for await (const line of lines) {
  const [command, arg] = line.trim().split(/\s+/, 2)
  try {
    if (command === 'dial') {
      const conn = await node.dial(multiaddr(arg))
      emit({ event: 'dialed', peer: conn.remotePeer.toString() })
    } else if (command === 'ping') {
      const rttMs = await node.services.ping.ping(target(arg))
      emit({ event: 'ping', peer: arg, rttMs })
    } else if (command === 'subscribe') {
      node.services.pubsub.subscribe(arg)
      emit({ event: 'subscribed', topic: arg })
    } else if (command === 'publish') {
      const rest = line.trim().split(/\s+/).slice(2).join(' ')
      const r = await node.services.pubsub.publish(arg, new TextEncoder().encode(rest))
      emit({ event: 'published', topic: arg, recipients: r.recipients.length })
    } else if (command === 'subscribers') {
      emit({ event: 'subscribers', topic: arg, peers: node.services.pubsub.getSubscribers(arg).map((p) => p.toString()) })
    } else if (command === 'mesh') {
      emit({ event: 'mesh', topic: arg, peers: node.services.pubsub.getMeshPeers(arg).map((p) => p.toString()) })
    } else if (command === 'score') {
      emit({ event: 'score', peer: arg, score: node.services.pubsub.getScore(arg) })
    } else if (command === 'peers') {
      emit({ event: 'peers', peers: node.getPeers().map((p) => p.toString()) })
    } else if (command === 'quit') {
      break
    } else if (command) {
      emit({ event: 'error', command, message: 'unknown command' })
    }
  } catch (err) {
    emit({ event: 'error', command, message: String(err?.message ?? err) })
  }
}
await node.stop()
process.exit(0)
