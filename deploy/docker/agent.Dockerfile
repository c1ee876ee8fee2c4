# syntax=docker/dockerfile:1
# kiam-agent image. Build from the repository root:
#   docker build -f deploy/docker/agent.Dockerfile -t kiam-java/kiam-agent:0.1.0 .

FROM maven:3-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -pl kiam-agent -am package -DskipTests

FROM eclipse-temurin:17-jre
# iptables installs and keeps the 169.254.169.254 DNAT rule. The package carries both the nft and the
# legacy back ends; the agent must use the one the node's kube-proxy uses.
RUN apt-get update \
    && apt-get install -y --no-install-recommends iptables \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/kiam-agent/target/kiam-agent.jar /opt/kiam/kiam-agent.jar
# Runs as root: iptables needs NET_ADMIN and NET_RAW in the effective set, which Kubernetes grants
# only to root (the chart drops every other capability and forbids privilege escalation).
USER 0:0
EXPOSE 8181 9621
ENV JAVA_TOOL_OPTIONS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:ActiveProcessorCount=2 -Xss256k -Xms8m -Xmx48m -XX:MinHeapFreeRatio=15 -XX:MaxHeapFreeRatio=40 -XX:MaxMetaspaceSize=64m -XX:MaxDirectMemorySize=32m -XX:ReservedCodeCacheSize=16m -Dio.netty.allocator.type=unpooled -Dio.grpc.netty.useCustomAllocator=false -XX:-UsePerfData -XX:+ExitOnOutOfMemoryError" \
    MALLOC_ARENA_MAX=2
ENTRYPOINT ["java", "-jar", "/opt/kiam/kiam-agent.jar"]
