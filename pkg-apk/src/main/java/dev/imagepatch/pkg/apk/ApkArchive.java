package dev.imagepatch.pkg.apk;

import dev.imagepatch.pkg.io.Bounded;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * A v2 {@code .apk} verified along apk's whole chain: three concatenated gzip members (signature
 * tar, control tar, data tar). The control part is read when the package is opened; the data tar
 * is streamed, entry by entry, from the file, never held whole.
 */
public final class ApkArchive {
  /** The most the signature and control members may each unpack to: 64 MiB. */
  public static final long CONTROL_LIMIT = 64L << 20;
  /** The least a data tar may unpack to, whatever the {@code size} of its .PKGINFO says: 1 GiB. */
  public static final long DATA_FLOOR = 1L << 30;
  /** The margin a data tar may unpack to beyond its installed size: tar headers and padding. */
  public static final long DATA_MARGIN = 64L << 20;
  /** The most a data tar may unpack to when .PKGINFO gives no {@code size}: 4 GiB. */
  public static final long DATA_LIMIT_WITHOUT_SIZE = 4L << 30;

  /** What sees the data tar's entries, in tar order. */
  @FunctionalInterface
  public interface DataVisitor {
    /** {@code content}: a regular file's bytes (empty for other entries); its SHA-1 is checked once it was read or left. */
    void entry(ApkEntry entry, InputStream content) throws IOException;
  }

  private final Path file;
  private final String what;
  private final String checksum;
  private final long size;
  private final Control control;
  private final Optional<String> signer;
  private final long dataOffset;
  private final String dataSha256;
  private final long dataLimit;

  private ApkArchive(Path file, String what, String checksum, long size, Control control, Optional<String> signer,
      long dataOffset, String dataSha256, long dataLimit) {
    this.file = file;
    this.what = what;
    this.checksum = checksum;
    this.size = size;
    this.control = control;
    this.signer = signer;
    this.dataOffset = dataOffset;
    this.dataSha256 = dataSha256;
    this.dataLimit = dataLimit;
  }

  /**
   * Opens and verifies a package: the signature over the control gzip member (against
   * {@code keys}; an unsigned or unverified package is refused unless {@code allowUnsigned}), the
   * control checksum {@code Q1<base64 sha1 of the control member's compressed bytes>} equal to
   * {@code expectedChecksum} (when not null), the {@code datahash} of .PKGINFO (SHA-256 of the data
   * members' compressed bytes; without one, as apk does, the signature covers the data too), and
   * every file's {@code APK-TOOLS.checksum.SHA1} PAX record. Any break is an IOException naming
   * the package ({@code what}) and what failed. The data tar is bounded by {@link #dataLimit()}.
   */
  public static ApkArchive open(Path apk, String expectedChecksum, ApkKeys keys, boolean allowUnsigned, String what)
      throws IOException {
    return open(apk, expectedChecksum, keys, allowUnsigned, what, 0);
  }

  /** As {@link #open(Path, String, ApkKeys, boolean, String)}, with the data tar bounded by {@code maxDataBytes} (0: the default rule). */
  public static ApkArchive open(Path apk, String expectedChecksum, ApkKeys keys, boolean allowUnsigned, String what,
      long maxDataBytes) throws IOException {
    String name = what == null || what.isBlank() ? apk.toString() : what;
    long size = Files.size(apk);
    try (InputStream in = Files.newInputStream(apk)) {
      GzipMembers gz = new GzipMembers(in, name, Long.MAX_VALUE, Long.MAX_VALUE);
      Formats.checkV2(gz, name, "package");
      Digests firstDigests = new Digests();
      GzipMembers.Member first = gz.next(firstDigests.tap());
      InputStream firstBounded = controlBound(first, name, "the first member");
      TarStream firstTar = new TarStream(firstBounded, name);
      TarArchiveEntry entry = firstTar.next();
      Signatures signatures = null;
      Digests controlDigests;
      InputStream controlStream;
      TarStream controlTar;
      if (entry != null && Signatures.isSignature(entry)) {
        signatures = Signatures.read(firstTar, entry, keys, name);
        TarStream.drain(firstBounded);
        controlDigests = new Digests();
        if (gz.atEnd()) {
          throw new IOException(name + ": a signature member and nothing after it (no control member)");
        }
        controlStream = controlBound(gz.next(controlDigests.tap().and(signatures.tap())), name, "the control member");
        controlTar = new TarStream(controlStream, name);
        entry = controlTar.next();
      } else {
        controlDigests = firstDigests;
        controlStream = firstBounded;
        controlTar = firstTar;
      }
      Control control = Control.read(controlTar, entry, name);
      TarStream.drain(controlStream);
      long dataOffset = gz.offset();
      if (gz.atEnd()) {
        throw new IOException(name + ": no data member after the control member");
      }
      Optional<String> datahash = control.pkgInfo().first("datahash").map(String::strip);
      Optional<String> signer = Optional.empty();
      if (datahash.isPresent()) {
        signer = checkSignature(signatures, allowUnsigned, name);
      }
      long limit = maxDataBytes > 0 ? maxDataBytes : defaultDataLimit(control.pkgInfo());
      Digests dataDigests = new Digests();
      GzipMembers.Tap dataTap = dataDigests.tap();
      if (datahash.isEmpty() && signatures != null) {
        dataTap = dataTap.and(signatures.tap()); // apk: without a datahash the signature runs to the end
      }
      InputStream data = dataBound(gz.rest(dataTap), limit, name, control.pkgInfo());
      List<String> failures = new ArrayList<>();
      DataEntries.read(new TarStream(data, name), name, null, false, failures);
      TarStream.drain(data);
      if (datahash.isEmpty()) {
        signer = checkSignature(signatures, allowUnsigned, name);
      }
      if (expectedChecksum != null && !controlDigests.matches(expectedChecksum)) {
        throw new IOException(name + ": control checksum is " + controlDigests.q1() + ", but the index says "
            + expectedChecksum.strip());
      }
      if (datahash.isPresent() && !datahash.get().equalsIgnoreCase(dataDigests.sha256Hex())) {
        throw new IOException(name + ": datahash: the data member's SHA-256 is " + dataDigests.sha256Hex()
            + ", but .PKGINFO says " + datahash.get());
      }
      if (!failures.isEmpty()) {
        throw new IOException(failures.get(0) + (failures.size() > 1 ? " (and " + (failures.size() - 1)
            + " more checksum failures)" : ""));
      }
      return new ApkArchive(apk, name, controlDigests.q1(), size, control, signer, dataOffset,
          dataDigests.sha256Hex(), limit);
    }
  }

  private static Optional<String> checkSignature(Signatures signatures, boolean allowUnsigned, String name)
      throws IOException {
    if (signatures == null) {
      if (!allowUnsigned) {
        throw new IOException(name + ": signature: the package is not signed (no .SIGN.* signature member); an"
            + " unsigned package is read only in insecure mode, when explicitly allowed");
      }
      return Optional.empty();
    }
    Optional<String> signer = signatures.verify();
    if (signer.isEmpty() && !allowUnsigned) {
      throw new IOException(name + ": signature: " + signatures.failure());
    }
    return signer;
  }

  private static InputStream controlBound(InputStream member, String name, String which) {
    return Bounded.limit(member, CONTROL_LIMIT, () -> name + ": " + which + " unpacks to more than " + CONTROL_LIMIT
        + " bytes");
  }

  private static InputStream dataBound(InputStream data, long limit, String name, PkgInfo info) {
    return Bounded.limit(data, limit, () -> name + ": the data tar unpacks to more than " + limit + " bytes (.PKGINFO"
        + " size: " + info.first("size").orElse("none") + "; the limit is four times the size and " + DATA_MARGIN
        + " bytes, at least " + DATA_FLOOR + ", or " + DATA_LIMIT_WITHOUT_SIZE + " without a size)");
  }

  /**
   * Four times the installed {@code size} of .PKGINFO (bytes) and {@link #DATA_MARGIN}, at least
   * {@link #DATA_FLOOR}; {@link #DATA_LIMIT_WITHOUT_SIZE} when it gives none.
   */
  static long defaultDataLimit(PkgInfo info) {
    String size = info.first("size").orElse("").strip();
    if (!size.matches("[0-9]{1,15}")) {
      return DATA_LIMIT_WITHOUT_SIZE;
    }
    return Math.max(Long.parseLong(size) * 4 + DATA_MARGIN, DATA_FLOOR);
  }

  /** The control member's identity {@code Q1<base64 sha1>}, as an APKINDEX {@code C:} gives it. */
  public String checksum() {
    return checksum;
  }

  /** The file's size, as an APKINDEX {@code S:} gives it. */
  public long size() {
    return size;
  }

  public PkgInfo pkgInfo() {
    return control.pkgInfo();
  }

  /** The scripts apk runs ({@code .pre-install}, {@code .post-upgrade}, {@code .trigger}, ...) by name, in the control tar's order. */
  public Map<String, byte[]> scripts() {
    return control.scripts();
  }

  /** The key file name that verified the signature; empty when an unsigned or unverified package was allowed. */
  public Optional<String> signer() {
    return signer;
  }

  /** The most the data tar may unpack to. */
  public long dataLimit() {
    return dataLimit;
  }

  /**
   * Streams the data tar again from the file; each regular file's SHA-1 is checked as it is read
   * (a mismatch fails at once), and the data members must be the very bytes verified by
   * {@link #open}. Reading stops when the thread is interrupted.
   */
  public void readData(DataVisitor visitor) throws IOException {
    try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
      channel.position(dataOffset);
      InputStream raw = new BufferedInputStream(Channels.newInputStream(channel), 1 << 16);
      GzipMembers gz = new GzipMembers(raw, what, Long.MAX_VALUE, Long.MAX_VALUE);
      Digests digests = new Digests();
      InputStream data = dataBound(gz.rest(digests.tap()), dataLimit, what, control.pkgInfo());
      DataEntries.read(new TarStream(data, what), what, visitor, true, null);
      TarStream.drain(data);
      if (!digests.sha256Hex().equals(dataSha256)) {
        throw new IOException(what + ": the data members changed since the package was verified (SHA-256 "
            + digests.sha256Hex() + ", verified " + dataSha256 + ")");
      }
    }
  }
}
