package dev.imagepatch.patch.effects;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Certificate;

/**
 * {@code openssl rehash DIR} (rehash.c) over a certificate directory: a {@code <subject-hash>.<n>}
 * link to every file of the directory named {@code *.pem}, {@code *.crt}, {@code *.cer} or
 * {@code *.crl} that holds exactly one certificate, duplicates (same SHA-1 of the DER) skipped;
 * existing hash links kept where they still serve, the others removed. CRLs get no {@code .r<n>}
 * link here. Debian's and Alpine's trust stores both end with it.
 */
public final class Rehash {
  private static final Pattern HASH_LINK = Pattern.compile("([0-9a-fA-F]{8})\\.([0-9]+)");

  private Rehash() {}

  /** The directory as rehash sees it, entries by name; {@link #content} follows links. */
  public interface Directory {
    /** The names of the entries, a snapshot in byte order. */
    Set<String> names();

    /** The target of an entry that is a symlink, null when it is none. */
    String link(String name);

    /** The content the entry leads to, empty when it leads nowhere or to no regular file. */
    Optional<byte[]> content(String name) throws IOException;

    void link(String name, String target);

    void remove(String name);
  }

  /** One certificate (or an existing link to one) in a hash bucket, as rehash.c keeps it. */
  private static final class Entry {
    final String file;
    int oldId = Integer.MAX_VALUE;
    boolean needed;
    byte[] digest;

    Entry(String file) {
      this.file = file;
    }
  }

  /** Brings the hash links of {@code dir} in step with its certificates. */
  public static void run(Directory dir) throws IOException {
    Map<String, List<Entry>> buckets = new LinkedHashMap<>();
    Set<String> names = dir.names();
    // Existing links first, as rehash reads them before the certificates.
    for (String name : names) {
      Matcher m = HASH_LINK.matcher(name);
      String link = dir.link(name);
      if (m.matches() && link != null) {
        List<Entry> bucket = buckets.computeIfAbsent(m.group(1).toLowerCase(Locale.ROOT), k -> new ArrayList<>());
        Entry entry = bucket.stream().filter(x -> x.file.equals(link)).findFirst().orElse(null);
        if (entry == null) {
          entry = new Entry(link);
          bucket.add(entry);
        }
        entry.oldId = Math.min(entry.oldId, Integer.parseInt(m.group(2)));
      }
    }
    for (String name : names) {
      if (HASH_LINK.matcher(name).matches() || !certificateName(name)) {
        continue;
      }
      Optional<byte[]> content = dir.content(name);
      List<byte[]> certs = content.map(SubjectHash::certificates).orElse(List.of());
      if (certs.size() != 1 || certs.get(0) == null) {
        continue; // rehash: "does not contain exactly one certificate or CRL"
      }
      Certificate cert;
      try {
        cert = Certificate.getInstance(certs.get(0));
      } catch (RuntimeException bad) {
        continue;
      }
      String hash = SubjectHash.hex(X500Name.getInstance(cert.getSubject()));
      byte[] digest = sha1(certs.get(0));
      List<Entry> bucket = buckets.computeIfAbsent(hash, k -> new ArrayList<>());
      if (bucket.stream().anyMatch(x -> x.digest != null && Arrays.equals(x.digest, digest))) {
        continue; // rehash: "skipping duplicate certificate"
      }
      Entry entry = bucket.stream().filter(x -> x.file.equals(name)).findFirst().orElse(null);
      if (entry == null) {
        entry = new Entry(name);
        bucket.add(entry);
      }
      if (!entry.needed) {
        entry.needed = true;
        entry.digest = digest;
      }
    }
    for (Map.Entry<String, List<Entry>> b : buckets.entrySet()) {
      List<Entry> bucket = b.getValue();
      int needed = (int) bucket.stream().filter(x -> x.needed).count();
      Set<Integer> used = new TreeSet<>();
      bucket.stream().filter(x -> x.oldId < needed).forEach(x -> used.add(x.oldId));
      int next = 0;
      for (Entry x : bucket) {
        if (x.oldId < needed) {
          continue; // the link exists and is used as it is
        } else if (x.needed) {
          while (used.contains(next)) {
            next++;
          }
          dir.link(b.getKey() + "." + next, x.file);
          used.add(next);
        } else {
          dir.remove(b.getKey() + "." + x.oldId);
        }
      }
    }
  }

  /** Whether rehash looks at a file of this name. */
  public static boolean certificateName(String name) {
    String n = name.toLowerCase(Locale.ROOT);
    return n.endsWith(".pem") || n.endsWith(".crt") || n.endsWith(".cer") || n.endsWith(".crl");
  }

  private static byte[] sha1(byte[] der) {
    try {
      return MessageDigest.getInstance("SHA-1").digest(der);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
