package io.kiam.testkit.sts;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one HTTP exchange of the STS query protocol: authenticate the signature, route on Action
 * and Version, answer with the XML body and the x-amzn-RequestId header.
 */
final class StsHttpHandler implements HttpHandler {
  static final String VERSION = "2011-06-15";
  private static final Logger log = LoggerFactory.getLogger(StsHttpHandler.class);

  private final SigV4Verifier verifier;
  private final AssumeRoleAction assumeRole;
  private final CallLog calls;

  StsHttpHandler(SigV4Verifier verifier, AssumeRoleAction assumeRole, CallLog calls) {
    this.verifier = verifier;
    this.assumeRole = assumeRole;
    this.calls = calls;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    String requestId = UUID.randomUUID().toString();
    try (exchange) {
      try {
        send(exchange, 200, answer(exchange, requestId), requestId);
      } catch (StsErrorException e) {
        send(exchange, e.error().status(), StsXml.error(e.error(), requestId), requestId);
      } catch (RuntimeException e) {
        log.error("STS request {} failed inside the endpoint", requestId, e);
        StsError failure = StsError.internalFailure();
        send(exchange, failure.status(), StsXml.error(failure, requestId), requestId);
      }
    }
  }

  private String answer(HttpExchange exchange, String requestId)
      throws IOException, StsErrorException {
    String method = exchange.getRequestMethod();
    if (!method.equals("POST") && !method.equals("GET")) {
      throw new StsErrorException(
          StsError.invalidAction("STS accepts GET and POST requests, not " + method));
    }
    QueryRequest request = QueryRequest.read(exchange);
    Caller caller = authenticate(request);
    String action = request.param("Action");
    String version = request.param("Version");
    if (VERSION.equals(version) && "AssumeRole".equals(action)) {
      AssumeRoleParameters params = AssumeRoleParameters.from(request.params());
      return StsXml.assumeRole(assumeRole.assumeRole(params, caller), requestId);
    }
    if (VERSION.equals(version) && "GetCallerIdentity".equals(action)) {
      calls.recordGetCallerIdentity();
      log.atInfo()
          .setMessage("GetCallerIdentity answered")
          .addKeyValue("caller.arn", caller.arn())
          .addKeyValue("caller.access.key", caller.accessKeyId())
          .log();
      return StsXml.callerIdentity(caller, requestId);
    }
    throw new StsErrorException(
        StsError.invalidAction("Could not find operation " + action + " for version " + version));
  }

  private Caller authenticate(QueryRequest request) throws StsErrorException {
    try {
      return verifier.verify(request);
    } catch (StsErrorException e) {
      log.atInfo()
          .setMessage("STS request refused: {}")
          .addArgument(e.error().code())
          .addKeyValue("sts.action", request.param("Action"))
          .addKeyValue("caller.access.key", accessKeyIdOf(request))
          .addKeyValue("sts.error.code", e.error().code())
          .log();
      throw e;
    }
  }

  /** The access key id named in the Authorization header, for the log; never the signature. */
  private static String accessKeyIdOf(QueryRequest request) {
    String header = request.header("authorization");
    int start = header == null ? -1 : header.indexOf("Credential=");
    if (start < 0) {
      return null;
    }
    int end = header.indexOf('/', start);
    return end < 0 ? null : header.substring(start + "Credential=".length(), end);
  }

  private static void send(HttpExchange exchange, int status, String xml, String requestId)
      throws IOException {
    byte[] body = xml.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/xml");
    exchange.getResponseHeaders().set("x-amzn-RequestId", requestId);
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
