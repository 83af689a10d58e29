package dev.imagepatch.pkg.rpmdb.bdb;

/** One key/data pair of a Berkeley DB file, as stored (no byte order applied). */
public record BdbEntry(byte[] key, byte[] value) {
  public BdbEntry {
    key = key.clone();
    value = value.clone();
  }

  @Override
  public byte[] key() {
    return key.clone();
  }

  @Override
  public byte[] value() {
    return value.clone();
  }
}
