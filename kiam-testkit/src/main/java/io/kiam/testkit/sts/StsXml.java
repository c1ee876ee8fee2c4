package io.kiam.testkit.sts;

import java.io.StringWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

/** Writes STS's XML response bodies, success and error, in the 2011-06-15 namespace. */
final class StsXml {
  static final String NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/";

  /** STS's Expiration carries fractional seconds; SDKs must accept them. */
  static final DateTimeFormatter EXPIRATION =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private static final XMLOutputFactory FACTORY = XMLOutputFactory.newFactory();

  private StsXml() {}

  static String assumeRole(IssuedCredentials issued, String requestId) {
    return write(
        "AssumeRoleResponse",
        xml -> {
          xml.writeStartElement("AssumeRoleResult");
          if (issued.sourceIdentity() != null) {
            element(xml, "SourceIdentity", issued.sourceIdentity());
          }
          xml.writeStartElement("AssumedRoleUser");
          element(xml, "AssumedRoleId", issued.assumedRoleId());
          element(xml, "Arn", issued.assumedRoleArn());
          xml.writeEndElement();
          xml.writeStartElement("Credentials");
          element(xml, "AccessKeyId", issued.accessKeyId());
          element(xml, "SecretAccessKey", issued.secretAccessKey());
          element(xml, "SessionToken", issued.sessionToken());
          element(xml, "Expiration", EXPIRATION.format(issued.expiration()));
          xml.writeEndElement();
          xml.writeEndElement();
          responseMetadata(xml, requestId);
        });
  }

  static String callerIdentity(Caller caller, String requestId) {
    return write(
        "GetCallerIdentityResponse",
        xml -> {
          xml.writeStartElement("GetCallerIdentityResult");
          element(xml, "Arn", caller.arn());
          element(xml, "UserId", caller.userId());
          element(xml, "Account", caller.account());
          xml.writeEndElement();
          responseMetadata(xml, requestId);
        });
  }

  static String error(StsError error, String requestId) {
    return write(
        "ErrorResponse",
        xml -> {
          xml.writeStartElement("Error");
          element(xml, "Type", error.type());
          element(xml, "Code", error.code());
          element(xml, "Message", error.message());
          xml.writeEndElement();
          element(xml, "RequestId", requestId);
        });
  }

  private interface Body {
    void write(XMLStreamWriter xml) throws XMLStreamException;
  }

  private static String write(String root, Body body) {
    StringWriter out = new StringWriter();
    try {
      XMLStreamWriter xml = FACTORY.createXMLStreamWriter(out);
      xml.writeStartElement(root);
      xml.writeDefaultNamespace(NAMESPACE);
      body.write(xml);
      xml.writeEndElement();
      xml.writeEndDocument();
      xml.close();
    } catch (XMLStreamException e) {
      throw new IllegalStateException("cannot write " + root, e);
    }
    return out.toString();
  }

  private static void responseMetadata(XMLStreamWriter xml, String requestId)
      throws XMLStreamException {
    xml.writeStartElement("ResponseMetadata");
    element(xml, "RequestId", requestId);
    xml.writeEndElement();
  }

  private static void element(XMLStreamWriter xml, String name, String text)
      throws XMLStreamException {
    xml.writeStartElement(name);
    xml.writeCharacters(text);
    xml.writeEndElement();
  }
}
