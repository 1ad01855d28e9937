// The js-libp2p side of `make bench`: the same transfer as bench/p2p_bench
// (64 KiB writes over Noise + yamux on 127.0.0.1), between two js-libp2p
// processes.
//
//   node --import ./polyfill.mjs bench-transfer.mjs sink
//       prints {"addr": "..."} and serves /agentmesh-bench/sink/1.0.0 (reads
//       a stream to EOF, answers the byte count as 8 bytes little-endian)
//   node --import ./polyfill.mjs bench-transfer.mjs source ADDR MEGABYTES STREAMS
//       prints {"mb_per_s": N, ...}
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { multiaddr } from '@multiformats/multiaddr'

const PROTOCOL = '/agentmesh-bench/sink/1.0.0'
const CHUNK = 64 * 1024
const [mode, addr, megabytes, streams] = process.argv.slice(2)

const make = () => createLibp2p({
  addresses: { listen: mode === 'sink' ? ['/ip4/127.0.0.1/tcp/0'] : [] },
  transports: [tcp()],
  connectionEncrypters: [noise()],
  streamMuxers: [yamux()],
  connectionManager: { maxConnections: 1000 }
})

if (mode === 'sink') {
  const node = await make()
  await node.handle(PROTOCOL, async (stream) => {
    let total = 0
    for await (const chunk of stream) total += chunk.byteLength
    const reply = new Uint8Array(8)
    new DataView(reply.buffer).setBigUint64(0, BigInt(total), true)
    stream.send(reply)
    await stream.close()
  }, { maxInboundStreams: 64 })
  console.log(JSON.stringify({ addr: node.getMultiaddrs()[0].toString() }))
  process.stdin.resume()
  process.stdin.on('end', async () => { await node.stop(); process.exit(0) })
} else if (mode === 'source') {
  const node = await make()
  const conn = await node.dial(multiaddr(addr))
  const perStream = Math.floor(Number(megabytes) * 1e6 / Number(streams))
  const chunk = new Uint8Array(CHUNK).fill(0x5a)
  const one = async () => {
    const stream = await conn.newStream(PROTOCOL, { maxOutboundStreams: 64 })
    for (let sent = 0; sent < perStream; sent += CHUNK) {
      const n = Math.min(CHUNK, perStream - sent)
      if (!stream.send(n === CHUNK ? chunk : chunk.subarray(0, n))) await stream.onDrain()
    }
    await stream.close()
    let got = 0
    for await (const reply of stream) {
      const bytes = reply.subarray ? reply.subarray() : reply
      got += Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true))
      break
    }
    return got
  }
  const start = process.hrtime.bigint()
  const got = (await Promise.all(Array.from({ length: Number(streams) }, one))).reduce((a, b) => a + b, 0)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  console.log(JSON.stringify({ streams: Number(streams), received_bytes: got, seconds, mb_per_s: got / seconds / 1e6 }))
  await node.stop()
  process.exit(got === perStream * Number(streams) ? 0 : 1)
} else {
  console.error('usage: bench-transfer.mjs sink | source ADDR MEGABYTES STREAMS')
  process.exit(2)
}
