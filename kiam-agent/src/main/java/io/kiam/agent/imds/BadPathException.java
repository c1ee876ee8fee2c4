package io.kiam.agent.imds;

/** A request target that cannot be routed safely; the agent answers 400 with the message. */
public final class BadPathException extends Exception {
  public BadPathException(String message) {
    super(message, null, false, false);
  }
}
