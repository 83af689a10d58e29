package dev.imagepatch.pkg.rpmdb.ndb;

import java.io.IOException;

/**
 * Writing an NDB database was asked for and is refused: this library reads NDB exactly but does
 * not write it, because no independent NDB reader is available to judge a write (there is no
 * libndb, and Debian's rpm 4.18 is built without the ndb backend). A backend that would change a
 * SUSE image's {@code Packages.db} throws this, and the image is refused with its message.
 */
public final class NdbWriteRefusedException extends IOException {
  private static final long serialVersionUID = 1L;

  /** The reason, as every refusal states it. */
  public static final String MESSAGE = "NDB databases (SUSE) are read, not written: no independent NDB reader is"
      + " available to judge a write";

  private final String database;

  /** A refusal to write {@code database} (a path or a name, e.g. {@code var/lib/rpm/Packages.db}). */
  public NdbWriteRefusedException(String database) {
    super(MESSAGE + " (" + database + ")");
    this.database = database;
  }

  /** The database whose writing was refused. */
  public String database() {
    return database;
  }
}
