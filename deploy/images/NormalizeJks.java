import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * Sets every entry date of a JKS keystore of trusted certificates (Debian's
 * /etc/ssl/certs/java/cacerts) to SOURCE_DATE_EPOCH and writes its integrity digest again, so that
 * the same certificates give the same bytes. Usage: java NormalizeJks.java FILE [STOREPASS]
 */
public class NormalizeJks {
  public static void main(String[] args) throws Exception {
    Path file = Path.of(args[0]);
    char[] password = (args.length > 1 ? args[1] : "changeit").toCharArray();
    long date = Long.parseLong(System.getenv("SOURCE_DATE_EPOCH")) * 1000L;
    byte[] bytes = Files.readAllBytes(file);
    DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes));
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(body);
    int magic = in.readInt();
    int version = in.readInt();
    if (magic != 0xFEEDFEED || version != 2) {
      throw new IllegalArgumentException(file + " is not a JKS keystore (version 2)");
    }
    int count = in.readInt();
    out.writeInt(magic);
    out.writeInt(version);
    out.writeInt(count);
    for (int i = 0; i < count; i++) {
      int tag = in.readInt();
      if (tag != 2) {
        throw new IllegalArgumentException(file + ": entry " + i + " is not a trusted certificate");
      }
      out.writeInt(tag);
      out.writeUTF(in.readUTF()); // alias
      in.readLong(); // the date it was added: replaced
      out.writeLong(date);
      out.writeUTF(in.readUTF()); // certificate type
      byte[] cert = new byte[in.readInt()];
      in.readFully(cert);
      out.writeInt(cert.length);
      out.write(cert);
    }
    out.flush();
    byte[] data = body.toByteArray();
    MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
    for (char c : password) {
      sha1.update((byte) (c >> 8));
      sha1.update((byte) c);
    }
    sha1.update("Mighty Aphrodite".getBytes(StandardCharsets.UTF_8));
    sha1.update(data);
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    all.write(data);
    all.write(sha1.digest());
    Files.write(file, all.toByteArray());
  }
}
