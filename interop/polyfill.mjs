// Node 20 lacks Promise.withResolvers (Node 22), which the libp2p 3 stack
// calls. Loaded with `node --import ./polyfill.mjs`.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers () {
    const out = {}
    out.promise = new this((resolve, reject) => { out.resolve = resolve; out.reject = reject })
    return out
  }
}
