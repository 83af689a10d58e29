package dev.imagepatch.pkg.rpm;

/**
 * rpm's tag numbers ({@code rpmtag.h}: {@code RPMTAG_*}, the signature header's {@code RPMSIGTAG_*})
 * and data types ({@code RPM_*_TYPE}), under their rpm names without the prefix.
 */
public final class Tags {
  private Tags() {}

  // Data types.
  public static final int NULL = 0;
  public static final int CHAR = 1;
  public static final int INT8 = 2;
  public static final int INT16 = 3;
  public static final int INT32 = 4;
  public static final int INT64 = 5;
  public static final int STRING = 6;
  public static final int BIN = 7;
  public static final int STRING_ARRAY = 8;
  public static final int I18NSTRING = 9;

  // Regions and the locale table.
  public static final int HEADERIMAGE = 61;
  public static final int HEADERSIGNATURES = 62;
  public static final int HEADERIMMUTABLE = 63;
  public static final int HEADERREGIONS = 64;
  public static final int HEADERI18NTABLE = 100;

  // Signature tags as the main header (and the rpm database) carries them.
  public static final int SIGSIZE = 257;
  public static final int SIGPGP = 259;
  public static final int SIGMD5 = 261;
  public static final int SIGGPG = 262;
  public static final int PUBKEYS = 266;
  public static final int DSAHEADER = 267;
  public static final int RSAHEADER = 268;
  public static final int SHA1HEADER = 269;
  public static final int LONGSIGSIZE = 270;
  public static final int LONGARCHIVESIZE = 271;
  public static final int SHA256HEADER = 273;
  public static final int VERITYSIGNATURES = 276;
  public static final int VERITYSIGNATUREALGO = 277;

  // The signature header's own numbers (RPMSIGTAG_*) where they differ.
  public static final int SIG_SIZE = 1000;
  public static final int SIG_LEMD5_1 = 1001;
  public static final int SIG_PGP = 1002;
  public static final int SIG_LEMD5_2 = 1003;
  public static final int SIG_MD5 = 1004;
  public static final int SIG_GPG = 1005;
  public static final int SIG_PGP5 = 1006;
  public static final int SIG_PAYLOADSIZE = 1007;
  public static final int SIG_RESERVEDSPACE = 1008;
  public static final int SIG_FILESIGNATURES = 274;
  public static final int SIG_FILESIGNATURELENGTH = 275;

  // The main header.
  public static final int NAME = 1000;
  public static final int VERSION = 1001;
  public static final int RELEASE = 1002;
  public static final int EPOCH = 1003;
  public static final int SUMMARY = 1004;
  public static final int DESCRIPTION = 1005;
  public static final int BUILDTIME = 1006;
  public static final int BUILDHOST = 1007;
  public static final int INSTALLTIME = 1008;
  public static final int SIZE = 1009;
  public static final int DISTRIBUTION = 1010;
  public static final int VENDOR = 1011;
  public static final int LICENSE = 1014;
  public static final int PACKAGER = 1015;
  public static final int GROUP = 1016;
  public static final int CHANGELOG = 1017;
  public static final int SOURCE = 1018;
  public static final int PATCH = 1019;
  public static final int URL = 1020;
  public static final int OS = 1021;
  public static final int ARCH = 1022;
  public static final int PREIN = 1023;
  public static final int POSTIN = 1024;
  public static final int PREUN = 1025;
  public static final int POSTUN = 1026;
  public static final int OLDFILENAMES = 1027;
  public static final int FILESIZES = 1028;
  public static final int FILESTATES = 1029;
  public static final int FILEMODES = 1030;
  public static final int FILEUIDS = 1031;
  public static final int FILEGIDS = 1032;
  public static final int FILERDEVS = 1033;
  public static final int FILEMTIMES = 1034;
  public static final int FILEDIGESTS = 1035;
  public static final int FILELINKTOS = 1036;
  public static final int FILEFLAGS = 1037;
  public static final int FILEUSERNAME = 1039;
  public static final int FILEGROUPNAME = 1040;
  public static final int SOURCERPM = 1044;
  public static final int FILEVERIFYFLAGS = 1045;
  public static final int ARCHIVESIZE = 1046;
  public static final int PROVIDENAME = 1047;
  public static final int REQUIREFLAGS = 1048;
  public static final int REQUIRENAME = 1049;
  public static final int REQUIREVERSION = 1050;
  public static final int NOSOURCE = 1051;
  public static final int NOPATCH = 1052;
  public static final int CONFLICTFLAGS = 1053;
  public static final int CONFLICTNAME = 1054;
  public static final int CONFLICTVERSION = 1055;
  public static final int EXCLUDEARCH = 1059;
  public static final int EXCLUDEOS = 1060;
  public static final int EXCLUSIVEARCH = 1061;
  public static final int EXCLUSIVEOS = 1062;
  public static final int RPMVERSION = 1064;
  public static final int TRIGGERSCRIPTS = 1065;
  public static final int TRIGGERNAME = 1066;
  public static final int TRIGGERVERSION = 1067;
  public static final int TRIGGERFLAGS = 1068;
  public static final int TRIGGERINDEX = 1069;
  public static final int VERIFYSCRIPT = 1079;
  public static final int CHANGELOGTIME = 1080;
  public static final int CHANGELOGNAME = 1081;
  public static final int CHANGELOGTEXT = 1082;
  public static final int PREINPROG = 1085;
  public static final int POSTINPROG = 1086;
  public static final int PREUNPROG = 1087;
  public static final int POSTUNPROG = 1088;
  public static final int BUILDARCHS = 1089;
  public static final int OBSOLETENAME = 1090;
  public static final int VERIFYSCRIPTPROG = 1091;
  public static final int TRIGGERSCRIPTPROG = 1092;
  public static final int COOKIE = 1094;
  public static final int FILEDEVICES = 1095;
  public static final int FILEINODES = 1096;
  public static final int FILELANGS = 1097;
  public static final int PREFIXES = 1098;
  public static final int INSTPREFIXES = 1099;
  public static final int SOURCEPACKAGE = 1106;
  public static final int PROVIDEFLAGS = 1112;
  public static final int PROVIDEVERSION = 1113;
  public static final int OBSOLETEFLAGS = 1114;
  public static final int OBSOLETEVERSION = 1115;
  public static final int DIRINDEXES = 1116;
  public static final int BASENAMES = 1117;
  public static final int DIRNAMES = 1118;
  public static final int ORIGDIRINDEXES = 1119;
  public static final int ORIGBASENAMES = 1120;
  public static final int ORIGDIRNAMES = 1121;
  public static final int OPTFLAGS = 1122;
  public static final int DISTURL = 1123;
  public static final int PAYLOADFORMAT = 1124;
  public static final int PAYLOADCOMPRESSOR = 1125;
  public static final int PAYLOADFLAGS = 1126;
  public static final int INSTALLCOLOR = 1127;
  public static final int INSTALLTID = 1128;
  public static final int REMOVETID = 1129;
  public static final int RHNPLATFORM = 1131;
  public static final int PLATFORM = 1132;
  public static final int FILECOLORS = 1140;
  public static final int FILECLASS = 1141;
  public static final int CLASSDICT = 1142;
  public static final int FILEDEPENDSX = 1143;
  public static final int FILEDEPENDSN = 1144;
  public static final int DEPENDSDICT = 1145;
  public static final int SOURCEPKGID = 1146;
  public static final int FILECONTEXTS = 1147;
  public static final int PRETRANS = 1151;
  public static final int POSTTRANS = 1152;
  public static final int PRETRANSPROG = 1153;
  public static final int POSTTRANSPROG = 1154;
  public static final int DISTTAG = 1155;
  public static final int DBINSTANCE = 1195;
  public static final int NVRA = 1196;
  public static final int FILENAMES = 5000;
  public static final int LONGFILESIZES = 5008;
  public static final int LONGSIZE = 5009;
  public static final int FILECAPS = 5010;
  public static final int FILEDIGESTALGO = 5011;
  public static final int BUGURL = 5012;
  public static final int EVR = 5013;
  public static final int NVR = 5014;
  public static final int NEVR = 5015;
  public static final int NEVRA = 5016;
  public static final int HEADERCOLOR = 5017;
  public static final int EPOCHNUM = 5019;
  public static final int PREINFLAGS = 5020;
  public static final int POSTINFLAGS = 5021;
  public static final int PREUNFLAGS = 5022;
  public static final int POSTUNFLAGS = 5023;
  public static final int PRETRANSFLAGS = 5024;
  public static final int POSTTRANSFLAGS = 5025;
  public static final int VERIFYSCRIPTFLAGS = 5026;
  public static final int TRIGGERSCRIPTFLAGS = 5027;
  public static final int POLICYNAMES = 5030;
  public static final int POLICYTYPES = 5031;
  public static final int POLICYTYPESINDEXES = 5032;
  public static final int POLICYFLAGS = 5033;
  public static final int VCS = 5034;
  public static final int ORDERNAME = 5035;
  public static final int ORDERVERSION = 5036;
  public static final int ORDERFLAGS = 5037;
  public static final int INSTFILENAMES = 5040;
  public static final int RECOMMENDNAME = 5046;
  public static final int RECOMMENDVERSION = 5047;
  public static final int RECOMMENDFLAGS = 5048;
  public static final int SUGGESTNAME = 5049;
  public static final int SUGGESTVERSION = 5050;
  public static final int SUGGESTFLAGS = 5051;
  public static final int SUPPLEMENTNAME = 5052;
  public static final int SUPPLEMENTVERSION = 5053;
  public static final int SUPPLEMENTFLAGS = 5054;
  public static final int ENHANCENAME = 5055;
  public static final int ENHANCEVERSION = 5056;
  public static final int ENHANCEFLAGS = 5057;
  public static final int ENCODING = 5062;
  public static final int FILETRIGGERSCRIPTS = 5066;
  public static final int FILETRIGGERSCRIPTPROG = 5067;
  public static final int FILETRIGGERSCRIPTFLAGS = 5068;
  public static final int FILETRIGGERNAME = 5069;
  public static final int FILETRIGGERINDEX = 5070;
  public static final int FILETRIGGERVERSION = 5071;
  public static final int FILETRIGGERFLAGS = 5072;
  public static final int TRANSFILETRIGGERSCRIPTS = 5076;
  public static final int TRANSFILETRIGGERSCRIPTPROG = 5077;
  public static final int TRANSFILETRIGGERSCRIPTFLAGS = 5078;
  public static final int TRANSFILETRIGGERNAME = 5079;
  public static final int TRANSFILETRIGGERINDEX = 5080;
  public static final int TRANSFILETRIGGERVERSION = 5081;
  public static final int TRANSFILETRIGGERFLAGS = 5082;
  public static final int FILETRIGGERPRIORITIES = 5084;
  public static final int TRANSFILETRIGGERPRIORITIES = 5085;
  public static final int FILESIGNATURES = 5090;
  public static final int FILESIGNATURELENGTH = 5091;
  public static final int PAYLOADDIGEST = 5092;
  public static final int PAYLOADDIGESTALGO = 5093;
  public static final int MODULARITYLABEL = 5096;
  public static final int PAYLOADDIGESTALT = 5097;

  // File flags (FILEFLAGS, rpmfileAttrs).
  public static final int FILE_CONFIG = 1;
  public static final int FILE_DOC = 1 << 1;
  public static final int FILE_ICON = 1 << 2;
  public static final int FILE_MISSINGOK = 1 << 3;
  public static final int FILE_NOREPLACE = 1 << 4;
  public static final int FILE_SPECFILE = 1 << 5;
  public static final int FILE_GHOST = 1 << 6;
  public static final int FILE_LICENSE = 1 << 7;
  public static final int FILE_README = 1 << 8;
  public static final int FILE_PUBKEY = 1 << 11;
  public static final int FILE_ARTIFACT = 1 << 12;

  // Digest algorithms (FILEDIGESTALGO, PAYLOADDIGESTALGO: OpenPGP hash algorithm numbers).
  public static final int DIGEST_MD5 = 1;
  public static final int DIGEST_SHA1 = 2;
  public static final int DIGEST_SHA256 = 8;
  public static final int DIGEST_SHA384 = 9;
  public static final int DIGEST_SHA512 = 10;
  public static final int DIGEST_SHA224 = 11;

  /** The alignment rpm gives a type's data in the store: 2, 4 or 8 for the integers, else 1. */
  public static int alignment(int type) {
    return switch (type) {
      case INT16 -> 2;
      case INT32 -> 4;
      case INT64 -> 8;
      default -> 1;
    };
  }

  /** The size of one value of a fixed-size type; -1 for the string types. */
  public static int size(int type) {
    return switch (type) {
      case NULL -> 0;
      case CHAR, INT8, BIN -> 1;
      case INT16 -> 2;
      case INT32 -> 4;
      case INT64 -> 8;
      default -> -1;
    };
  }
}
