package io.kiam.chart;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** values.schema.json turns a wrong value into a Helm error at install time, naming the key. */
class ValuesSchemaTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          a string replica count             | server: {replicas: two}                                | /server/replicas
          zero replicas                      | server: {replicas: 0}                                  | /server/replicas
          an unknown top-level key           | serverr: {replicas: 3}                                 | serverr
          a misspelt agent key               | agent: {hostInterface: [eni+]}                         | hostInterface
          a misspelt toleration field        | agent: {tolerations: [{operator: Exists, efect: NoSchedule}]} | efect
          an unknown log format              | server: {log: {format: xml, level: info}}             | /server/log/format
          a role base ARN without the slash  | server: {roleBaseArn: 'arn:aws:iam::123456789012:role'} | /server/roleBaseArn
          an interface smuggling a flag      | agent: {hostInterfaces: ['eth0 -j ACCEPT']}            | /agent/hostInterfaces
          no interface at all                | agent: {hostInterfaces: []}                            | /agent/hostInterfaces
          a port out of range                | agent: {port: 80800}                                   | /agent/port
          a duration without a unit          | server: {sessionDuration: '3600'}                      | /server/sessionDuration
          a zero STS rate                    | server: {stsRate: 0}                                   | /server/stsRate
          a fractional STS burst             | server: {stsBurst: 2.5}                                | /server/stsBurst
          a staleness without a unit         | server: {watchStaleAfter: '60'}                        | /server/watchStaleAfter
          session tags as a string           | server: {sessionTags: 'yes'}                           | /server/sessionTags
          an unknown TLS mode                | tls: {mode: vault}                                     | /tls/mode
          """)
  void refuses(String what, String values, String namedInError) {
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> KiamChart.template("kiam", values + "\n"));
    String message = e.getMessage();
    assertTrue(message.contains("schema"), message);
    assertTrue(message.contains(namedInError), () -> what + ": " + message);
  }
}
