package io.kiam.common.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

class ConvertersTest {
  @Test
  void readsGoStyleDurations() {
    assertEquals(Duration.ofMinutes(15), DurationConverter.parse("15m"));
    assertEquals(Duration.ofMinutes(90), DurationConverter.parse("1h30m"));
    assertEquals(Duration.ofMillis(500), DurationConverter.parse("500ms"));
    assertEquals(Duration.ofHours(12), DurationConverter.parse("12h"));
    assertEquals(Duration.ofMillis(1500), DurationConverter.parse("1.5s"));
    assertEquals(Duration.ZERO, DurationConverter.parse("0"));
    assertEquals("1h30m", DurationConverter.format(Duration.ofMinutes(90)));
  }

  @Test
  void refusesWhatIsNotADuration() {
    for (String bad : new String[] {"", "15", "m", "15min", "1h 30m", "-5m", "15m3"}) {
      assertThrows(TypeConversionException.class, () -> DurationConverter.parse(bad), bad);
    }
  }

  @Test
  void readsListenAddresses() {
    assertEquals(
        InetSocketAddress.createUnresolved("0.0.0.0", 9610),
        HostPortConverter.parse("0.0.0.0:9610"));
    assertEquals(
        InetSocketAddress.createUnresolved("0.0.0.0", 9620), HostPortConverter.parse(":9620"));
    assertEquals(
        InetSocketAddress.createUnresolved("::1", 80), HostPortConverter.parse("[::1]:80"));
    for (String bad : new String[] {"9610", "host:", "host:99999", "::1:80", "host:http"}) {
      assertThrows(TypeConversionException.class, () -> HostPortConverter.parse(bad), bad);
    }
  }

  @Command(name = "demo")
  static class Demo implements Runnable {
    @Option(names = "--wait")
    Duration wait;

    @Option(names = "--port")
    int port;

    @Override
    public void run() {
      if (port < 0) {
        throw new IllegalArgumentException("--port: must not be negative");
      }
    }
  }

  @Test
  void badFlagsEndWithOneLineAndExitCodeTwo() {
    for (String[] args :
        new String[][] {{"--wait", "soon"}, {"--nope"}, {"--port", "-1"}, {"--port", "x"}}) {
      StringWriter err = new StringWriter();
      CommandLine cli = KiamCli.commandLine("demo", new Demo());
      cli.setErr(new PrintWriter(err));
      assertEquals(KiamCli.USAGE, cli.execute(args), String.join(" ", args));
      String text = err.toString();
      assertTrue(text.startsWith("demo: "), text);
      assertEquals(1, text.strip().lines().count(), text);
    }
  }
}
