package dev.imagepatch.pkg.rpm;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.SequenceInputStream;
import java.util.List;

/**
 * Fuzzes the rpm header format (index entries, types, counts, offsets, the immutable region and
 * its trailer, strings, i18n strings) with arbitrary bytes: as a database blob
 * ({@link Header#ofBlob}) and, with the magic in front, as a .rpm carries it ({@link Header#read}).
 *
 * <p>Contract: both return a header or throw an {@link IOException} with a message naming the
 * source. Of a parsed header, every accessor ({@code has}, {@code string}, {@code strings},
 * {@code allLocales}, {@code number}, {@code numbers}, {@code bytes}, {@code value}) over the tag of
 * every entry returns, {@code immutableRegion()} returns a header, and {@code with(value)} of an
 * entry's own value returns a header in which the tag reads back as that value (the round trip
 * {@code InstalledHeader} relies on); {@code with()} of nothing reads back every tag as before. Any
 * other throwable, or a run past Jazzer's timeout, is a finding. Seeds (a header of the package
 * built by rpmbuild for {@code RpmPackageFuzzTest}, its signature header, and one without a region,
 * all ours) and regression inputs: {@code
 * src/test/resources/dev/imagepatch/pkg/rpm/HeaderFuzzTestInputs/parse/}.
 */
class HeaderFuzzTest {
  private static final byte[] MAGIC = {(byte) 0x8e, (byte) 0xad, (byte) 0xe8, 0x01, 0, 0, 0, 0};

  @FuzzTest(maxDuration = "30s")
  void parse(byte[] input) {
    Header blob = null;
    try {
      blob = Header.ofBlob(input, "fuzz blob");
    } catch (IOException expected) {
      FuzzContracts.requireMessage(expected);
    }
    Header read = null;
    try {
      read = Header.read(new SequenceInputStream(new ByteArrayInputStream(MAGIC), new ByteArrayInputStream(input)),
          "fuzz header");
    } catch (IOException expected) {
      FuzzContracts.requireMessage(expected);
    }
    if (blob != null) {
      use(blob);
      if (read == null) {
        throw new AssertionError("a blob ofBlob parses that read refuses with the magic in front");
      }
    }
    if (read != null) {
      use(read); // read takes exactly its bytes: a longer input may be a header and more
    }
  }

  private static void use(Header h) {
    for (Header.Entry e : h.entries()) {
      int tag = e.tag();
      h.has(tag);
      h.string(tag);
      h.strings(tag);
      h.allLocales(tag);
      h.number(tag);
      h.numbers(tag);
      h.bytes(tag);
      h.value(tag);
    }
    h.immutableRegion().entries();
    h.withMagic();
    Header same = h.with(List.of());
    for (Header.Entry e : h.entries()) {
      if (h.has(e.tag()) && !same.value(e.tag()).equals(h.value(e.tag()))) {
        throw new AssertionError("tag " + e.tag() + " reads " + same.value(e.tag()) + " after with(), "
            + h.value(e.tag()) + " before");
      }
    }
    for (Header.Entry e : h.entries()) {
      if (!h.has(e.tag())) {
        continue; // the region tag
      }
      Header.Value v = h.value(e.tag()).orElseThrow();
      Header again = h.with(List.of(v));
      if (!again.value(e.tag()).equals(java.util.Optional.of(v))) {
        throw new AssertionError("tag " + e.tag() + " reads " + again.value(e.tag()) + " after with(" + v + ")");
      }
    }
  }
}
