package io.kiam.agent.iptables;

/** iptables could not be run or refused a command; the message says what to do about it. */
public final class IptablesException extends RuntimeException {
  public IptablesException(String message) {
    super(message);
  }

  public IptablesException(String message, Throwable cause) {
    super(message, cause);
  }
}
