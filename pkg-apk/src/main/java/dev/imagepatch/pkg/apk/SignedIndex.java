package dev.imagepatch.pkg.apk;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * The text of a signed {@code APKINDEX.tar.gz}, its signature checked as apk checks it: a
 * signature member of {@code .SIGN.RSA.<key>} / {@code .SIGN.RSA256.<key>} entries over the
 * compressed bytes of the index member that follows; the index verifies when any entry whose key is
 * trusted verifies.
 */
public final class SignedIndex {
  private static final String APKINDEX = "APKINDEX";
  private static final String DESCRIPTION = "DESCRIPTION";

  private final String text;
  private final String description;
  private final Optional<String> signer;

  private SignedIndex(String text, String description, Optional<String> signer) {
    this.text = text;
    this.description = description;
    this.signer = signer;
  }

  /**
   * Reads and verifies an index. {@code maxBytes} bounds the decompressed size (bombs), and the
   * compressed size with a small margin. {@code allowUnsigned}: insecure mode, explicitly asked
   * for: an index without a signature, or whose signatures do not verify, is then accepted
   * ({@link #signer()} empty). An APKv3 ({@code .adb}) index is refused saying so.
   */
  public static SignedIndex read(InputStream apkindexTarGz, String source, ApkKeys keys, boolean allowUnsigned,
      long maxBytes) throws IOException {
    long compressedLimit = maxBytes + maxBytes / 512 + (1L << 20);
    GzipMembers gz = new GzipMembers(apkindexTarGz, source, compressedLimit, maxBytes);
    Formats.checkV2(gz, source, "index");
    GzipMembers.Member first = gz.next(GzipMembers.Tap.NONE);
    TarStream firstTar = new TarStream(first, source);
    TarArchiveEntry entry = firstTar.next();
    Signatures signatures = null;
    InputStream content;
    TarStream tar;
    if (entry != null && Signatures.isSignature(entry)) {
      signatures = Signatures.read(firstTar, entry, keys, source);
      TarStream.drain(first);
      if (gz.atEnd()) {
        throw new IOException(source + ": a signature member and no index after it");
      }
      // apk signs everything after the signature member.
      content = gz.rest(signatures.tap());
      tar = new TarStream(content, source);
      entry = tar.next();
    } else {
      content = first;
      tar = firstTar;
    }
    String text = null;
    String description = "";
    for (; entry != null; entry = tar.next()) {
      String name = entry.getName().startsWith("./") ? entry.getName().substring(2) : entry.getName();
      if (Signatures.isSignature(entry)) {
        throw new IOException(source + ": signature " + Names.quote(name) + " inside the index member");
      }
      if (!name.equals(APKINDEX) && !name.equals(DESCRIPTION)) {
        continue;
      }
      if (!entry.isFile() || entry.isSymbolicLink() || entry.isLink()) {
        throw new IOException(source + ": " + name + " is not a regular file");
      }
      String value = utf8(tar.readContent(maxBytes, () -> source + " unpacks to more than " + maxBytes + " bytes"),
          source + ": " + name);
      if (name.equals(APKINDEX)) {
        if (text != null) {
          throw new IOException(source + ": more than one APKINDEX file");
        }
        text = value;
      } else {
        description = value;
      }
    }
    // The signature covers the whole rest of the stream: read to its end (CRCs checked).
    TarStream.drain(content);
    if (!gz.atEnd()) {
      throw new IOException(source + ": data after the index member (offset " + gz.offset() + ")");
    }
    Optional<String> signer = Optional.empty();
    if (signatures == null) {
      if (!allowUnsigned) {
        throw new IOException(source + ": the index is not signed (no .SIGN.* signature member); an unsigned index"
            + " is read only in insecure mode, when explicitly allowed");
      }
    } else {
      signer = signatures.verify();
      if (signer.isEmpty() && !allowUnsigned) {
        throw new IOException(source + ": signature: " + signatures.failure());
      }
    }
    if (text == null) {
      throw new IOException(source + ": no APKINDEX file in the index");
    }
    return new SignedIndex(text, description, signer);
  }

  private static String utf8(byte[] bytes, String what) throws IOException {
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new IOException(what + " is not UTF-8 text", e);
    }
  }

  /** The APKINDEX file's text. */
  public String text() {
    return text;
  }

  /** The DESCRIPTION file's text, "" when absent. */
  public String description() {
    return description;
  }

  /** The key file name that verified; empty when an unsigned or unverified index was allowed. */
  public Optional<String> signer() {
    return signer;
  }
}
