// The js-libp2p side of the publish/subscribe benchmark (scripts/bench.sh):
// the workload of bench/pubsub_bench.cpp on five js-libp2p gossipsub nodes,
// each in its own process, connected all to all on 127.0.0.1. Node 0
// publishes 256-byte messages, nodes 1-4 subscribe. Prints key=value lines:
//
//   js_latency_*               publish -> 'gossipsub:message' at a fixed rate
//   js_rate_<R>_delivered_per_s  per offered rate, the slowest subscriber
//   js_delivered_per_s         the highest of those
//   js_rss_max_kb              the largest node RSS seen
//
//   node --import ./polyfill.mjs bench-gossip.mjs [seconds] [latency rate]
//
// Timestamps are process.hrtime (CLOCK_MONOTONIC), shared by the processes.
import { fork } from 'node:child_process'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { gossipsub } from '@libp2p/gossipsub'
import { multiaddr } from '@multiformats/multiaddr'

const TOPIC = 'bench'
const PAYLOAD = 256
const NODES = 5
const MAX_INFLIGHT = 64

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function child () {
  const node = await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictSign',
        emitSelf: false,
        allowPublishToZeroTopicPeers: true,
        scoreParams: { IPColocationFactorWeight: 0 }
      })
    }
  })
  const counts = new Map()
  const latencies = new Map()
  node.services.pubsub.addEventListener('gossipsub:message', (e) => {
    const received = process.hrtime.bigint()
    const text = new TextDecoder().decode(e.detail.msg.data.subarray(0, 64))
    const m = /^p=(\d+) t=(\d+) /.exec(text)
    if (!m) return
    const phase = Number(m[1])
    counts.set(phase, (counts.get(phase) ?? 0) + 1)
    if (!latencies.has(phase)) latencies.set(phase, [])
    latencies.get(phase).push(Number(received - BigInt(m[2])) / 1e6)
  })
  const reply = (obj) => process.send(obj)
  process.on('message', async (cmd) => {
    if (cmd.cmd === 'dial') {
      for (const a of cmd.addrs) await node.dial(multiaddr(a))
      reply({ type: 'dialed' })
    } else if (cmd.cmd === 'subscribe') {
      node.services.pubsub.subscribe(TOPIC)
      reply({ type: 'subscribed' })
    } else if (cmd.cmd === 'state') {
      reply({
        type: 'state',
        mesh: node.services.pubsub.getMeshPeers(TOPIC).length,
        subscribers: node.services.pubsub.getSubscribers(TOPIC).length,
        rssKb: Math.round(process.memoryUsage().rss / 1024),
        count: counts.get(cmd.phase) ?? 0,
        latencies: cmd.withLatencies ? (latencies.get(cmd.phase) ?? []) : []
      })
    } else if (cmd.cmd === 'publish') {
      const { phase, rate, seconds } = cmd
      const total = rate * seconds
      const start = performance.now()
      let ok = 0
      let failed = 0
      const inflight = new Set()
      for (let i = 0; i < total; i++) {
        const due = start + (i * 1000) / rate
        const wait = due - performance.now()
        if (wait > 0) await sleep(wait)
        let text = `p=${phase} t=${process.hrtime.bigint()} `
        text = text.padEnd(PAYLOAD, 'x')
        const p = node.services.pubsub.publish(TOPIC, new TextEncoder().encode(text))
          .then(() => { ok++ }, () => { failed++ })
          .finally(() => inflight.delete(p))
        inflight.add(p)
        if (inflight.size >= MAX_INFLIGHT) await Promise.race(inflight)
      }
      await Promise.allSettled(inflight)
      reply({ type: 'published', ok, failed, seconds: (performance.now() - start) / 1000 })
    } else if (cmd.cmd === 'stop') {
      await node.stop()
      process.exit(0)
    }
  })
  reply({ type: 'ready', addr: node.getMultiaddrs()[0].toString() })
}

// Sends a command to a child and resolves with its next reply.
function ask (proc, cmd) {
  return new Promise((resolve) => {
    proc.once('message', resolve)
    proc.send(cmd)
  })
}

function percentile (values, q) {
  if (values.length === 0) return 0
  const v = [...values].sort((a, b) => a - b)
  return v[Math.min(v.length - 1, Math.floor(q * v.length))]
}

async function waitUntil (pred, ms) {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await pred()) return true
    await sleep(100)
  }
  return false
}

async function coordinator () {
  const seconds = Number(process.argv[2] ?? 5)
  const latencyRate = Number(process.argv[3] ?? 200)
  const procs = []
  const addrs = []
  let rssMax = 0
  const out = (k, v) => process.stdout.write(`js_${k}=${v}\n`)
  try {
    for (let i = 0; i < NODES; i++) {
      const proc = fork(new URL(import.meta.url).pathname, ['child'], { execArgv: process.execArgv })
      procs.push(proc)
      const ready = await new Promise((resolve) => proc.once('message', resolve))
      if (addrs.length > 0) await ask(proc, { cmd: 'dial', addrs })
      addrs.push(ready.addr)
    }
    const subs = procs.slice(1)
    for (const p of subs) await ask(p, { cmd: 'subscribe' })
    const state = (p, phase, withLatencies = false) => ask(p, { cmd: 'state', phase, withLatencies })
    const meshed = await waitUntil(async () => {
      for (const p of subs) if ((await state(p, 0)).mesh < NODES - 2) return false
      return (await state(procs[0], 0)).subscribers === NODES - 1
    }, 30000)
    if (!meshed) throw new Error('the mesh did not form')
    await waitUntil(async () => {
      await ask(procs[0], { cmd: 'publish', phase: 0, rate: 50, seconds: 1 })
      for (const p of subs) if ((await state(p, 0)).count === 0) return false
      return true
    }, 20000)
    const settle = (phase, expected) => waitUntil(async () => {
      for (const p of subs) if ((await state(p, phase)).count < expected) return false
      return true
    }, 3000)
    const sampleRss = async () => {
      for (const p of procs) rssMax = Math.max(rssMax, (await state(p, 0)).rssKb)
    }

    // Latency at a fixed offered rate.
    const lat = await ask(procs[0], { cmd: 'publish', phase: 1, rate: latencyRate, seconds })
    await settle(1, lat.ok)
    let all = []
    for (const p of subs) all = all.concat((await state(p, 1, true)).latencies)
    out('latency_offered_per_s', latencyRate)
    out('latency_published', lat.ok)
    out('latency_samples', all.length)
    out('latency_p50_ms', percentile(all, 0.5).toFixed(3))
    out('latency_p99_ms', percentile(all, 0.99).toFixed(3))

    // Throughput at rising offered rates until subscribers fall below 90%.
    let best = 0
    let phase = 2
    for (const rate of [100, 200, 300, 500, 750, 1000, 1500, 2000, 3000]) {
      const r = await ask(procs[0], { cmd: 'publish', phase, rate, seconds })
      await sampleRss()
      await settle(phase, r.ok)
      const secs = Math.max(r.seconds, seconds)
      let slowest = r.ok
      for (const p of subs) slowest = Math.min(slowest, (await state(p, phase)).count)
      const delivered = slowest / secs
      best = Math.max(best, delivered)
      out(`rate_${rate}_published_per_s`, (r.ok / secs).toFixed(0))
      out(`rate_${rate}_failed`, r.failed)
      out(`rate_${rate}_delivered_per_s`, delivered.toFixed(0))
      phase++
      if (delivered < 0.9 * rate) break
    }
    out('delivered_per_s', best.toFixed(0))
    out('rss_max_kb', rssMax)
  } finally {
    for (const p of procs) p.send({ cmd: 'stop' })
  }
}

if (process.argv[2] === 'child') await child()
else await coordinator()
