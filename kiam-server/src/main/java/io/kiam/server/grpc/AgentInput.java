package io.kiam.server.grpc;

import io.grpc.Status;

/** Checks on the fields an agent sends: they are input, bounded before use or logging. */
final class AgentInput {
  private static final int MAX_ROLE_LENGTH = 2048;

  private AgentInput() {}

  static String checkedRole(String role) {
    if (role.isBlank()) {
      throw new Refusal(Status.INVALID_ARGUMENT, "the requested role is empty");
    }
    if (role.length() > MAX_ROLE_LENGTH || role.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
      throw new Refusal(
          Status.INVALID_ARGUMENT,
          "the requested role is malformed (too long, or has spaces or control characters)");
    }
    return role;
  }

  /** Request fields are the agent's input: keep a malformed one from flooding the log. */
  static String clip(String text) {
    return text == null || text.length() <= 128 ? text : text.substring(0, 128) + "...";
  }
}
