"""netsim: a mesh of agentmesh hosts with WAN faults on one machine (issue 16).

Hosts are network namespaces joined by veth pairs to one router namespace. In the router, nftables drops packets
(loss, partitions), `tc tbf` caps bandwidth, and a userspace delay line (a TUN device and a forwarder process)
delays every packet by its host pair's one-way delay. See tests/netsim/README.md.
"""
