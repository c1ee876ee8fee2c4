# syntax=docker/dockerfile:1
# kiam-server image. Build from the repository root:
#   docker build -f deploy/docker/server.Dockerfile -t kiam-java/kiam-server:0.1.0 .

FROM maven:3-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
# The cache mount keeps ~/.m2 between builds; the tests run in CI, not in the image build.
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q -pl kiam-server -am package -DskipTests

FROM eclipse-temurin:17-jre
# A fixed numeric user, the one the chart's securityContext names (runAsUser 65532).
RUN groupadd --system --gid 65532 kiam \
    && useradd --system --uid 65532 --gid 65532 --no-create-home --shell /usr/sbin/nologin kiam
COPY --from=build /src/kiam-server/target/kiam-server.jar /opt/kiam/kiam-server.jar
USER 65532:65532
# gRPC for the agents, plain-text health for the kubelet's probe, Prometheus metrics when enabled.
EXPOSE 9610 9611 9620
ENV JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=50 -XX:+ExitOnOutOfMemoryError"
# Flags come from the container's args (the chart); the health subcommand runs the same jar.
ENTRYPOINT ["java", "-jar", "/opt/kiam/kiam-server.jar"]
