package io.kiam.e2e.net;

/** One pod's network namespace: its name, its address and the node-side veth that reaches it. */
public record PodNetwork(String podName, String netns, String ip, String nodeVeth) {}
