package dev.imagepatch.cli.e2e;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.imagepatch.oci.Descriptor;
import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.Index;
import dev.imagepatch.oci.Manifest;
import dev.imagepatch.oci.MediaTypes;
import dev.imagepatch.oci.Platform;
import dev.imagepatch.oci.layout.OciLayout;
import dev.imagepatch.oci.testing.Commands;
import dev.imagepatch.testing.SharedData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.Inflater;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Test support for the apk end-to-end tests: the real Alpine minirootfs tarballs of the shared data
 * (read in place), signed apk v2 repositories packed from them by {@code apk/make-apk-repository.py},
 * served over HTTP on loopback, OCI images made from the tarballs, Trivy reports, and readers that
 * turn a rootfs (tarball or unpacked directory) into comparable nodes.
 */
final class AlpineFixtures {
  /** The test key's file name, as apk looks it up in /etc/apk/keys and as the signatures name it. */
  static final String KEY_NAME = "imagepatch-test.rsa.pub";
  /** A key no image or request trusts. */
  static final String IMPOSTOR_KEY_NAME = "imagepatch-impostor.rsa.pub";
  /** The base images' creation time. */
  static final long CREATED = 1_700_000_000L;
  private static final ObjectMapper JSON = new ObjectMapper();

  private AlpineFixtures() {}

  // ---------------------------------------------------------------- shared data and the script

  /** A real minirootfs tarball of the shared data, e.g. {@code minirootfs("3.10.3", "x86_64")}. */
  static Path minirootfs(String version, String arch) {
    return SharedData.path("vectors/alpine/minirootfs/alpine-minirootfs-" + version + "-" + arch + ".tar.gz");
  }

  /** The repository script, from the test classpath. */
  static Path script() {
    try {
      return Path.of(AlpineFixtures.class.getResource("/apk/make-apk-repository.py").toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An RSA key pair made by openssl as abuild-keygen does: {@code dir/NAME} (private) and {@code dir/NAME.pub}. */
  static Path key(Path dir, String publicName) throws Exception {
    Files.createDirectories(dir);
    Path pub = dir.resolve(publicName);
    Path priv = dir.resolve(publicName.substring(0, publicName.length() - ".pub".length()));
    Commands.run("openssl", "genrsa", "-out", priv.toString(), "2048");
    Commands.run("openssl", "rsa", "-in", priv.toString(), "-pubout", "-out", pub.toString());
    return priv;
  }

  /** Runs make-apk-repository.py with {@code args}; returns what it printed. */
  static String makeRepository(List<String> args) throws Exception {
    List<String> command = new ArrayList<>(List.of("python3", script().toString()));
    command.addAll(args);
    return Commands.runText(command.toArray(String[]::new));
  }

  /** Runs several make-apk-repository.py invocations at once (each a list of arguments). */
  static void makeRepositories(List<List<String>> invocations) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()));
    try {
      List<Future<String>> done = new ArrayList<>();
      for (List<String> args : invocations) {
        done.add(pool.submit(() -> makeRepository(args)));
      }
      for (Future<String> f : done) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** One package the script packed: the index's C: and S: for it, and its file name. */
  record Packed(String name, String version, String checksum, long size, String file) {}

  /** The packages.tsv the script writes beside an index, by package name. */
  static Map<String, Packed> packed(Path archDir) throws IOException {
    Map<String, Packed> out = new LinkedHashMap<>();
    for (String line : Files.readAllLines(archDir.resolve("packages.tsv"))) {
      if (!line.isBlank()) {
        String[] f = line.split("\t");
        out.put(f[0], new Packed(f[0], f[1], f[2], Long.parseLong(f[3]), f[4]));
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- rootfs readers

  /** One filesystem node as the judges compare it. {@code type}: 'f' file, 'd' directory, 'l' symlink. */
  record Node(char type, int mode, long uid, long gid, String sha256, String link) {
    @Override
    public String toString() {
      return type + " " + Integer.toOctalString(mode) + " " + uid + ":" + gid
          + (sha256 != null ? " sha256:" + sha256.substring(0, 16) : "") + (link != null ? " -> " + link : "");
    }
  }

  /** A rootfs tarball's nodes by normalized path ("./etc/x" becomes "etc/x"), in tar order; hard links resolved. */
  static Map<String, Node> tarTree(Path tarGz) throws IOException {
    Map<String, Node> out = new LinkedHashMap<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(tarGz)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        String path = normalize(e.getName());
        if (path.isEmpty()) {
          continue;
        }
        int mode = e.getMode() & 07777;
        if (e.isDirectory()) {
          out.put(path, new Node('d', mode, e.getLongUserId(), e.getLongGroupId(), null, null));
        } else if (e.isSymbolicLink()) {
          out.put(path, new Node('l', mode, e.getLongUserId(), e.getLongGroupId(), null, e.getLinkName()));
        } else if (e.isLink()) {
          Node target = out.get(normalize(e.getLinkName()));
          out.put(path, new Node('f', mode, e.getLongUserId(), e.getLongGroupId(), target.sha256(), null));
        } else if (e.isFile()) {
          out.put(path, new Node('f', mode, e.getLongUserId(), e.getLongGroupId(), sha256(tar), null));
        }
      }
    }
    return out;
  }

  /** The contents of a tarball's regular files whose paths {@code wanted} accepts. */
  static Map<String, byte[]> files(Path tarGz, Predicate<String> wanted) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(tarGz)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        String path = normalize(e.getName());
        if (e.isFile() && !e.isSymbolicLink() && !e.isLink() && wanted.test(path)) {
          out.put(path, tar.readAllBytes());
        }
      }
    }
    return out;
  }

  /** One regular file of a tarball, or null. */
  static byte[] file(Path tarGz, String path) throws IOException {
    return files(tarGz, path::equals).get(path);
  }

  /** An unpacked root filesystem's nodes by relative path (symlinks not followed). */
  static Map<String, Node> dirTree(Path root) throws IOException {
    Map<String, Node> out = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.toList()) {
        if (p.equals(root)) {
          continue;
        }
        out.put(root.relativize(p).toString(), node(p));
      }
    }
    return out;
  }

  /** The node at {@code p}, or null when there is nothing there (symlinks not followed). */
  static Node node(Path p) throws IOException {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return null;
    }
    int mode = ((Number) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)).intValue() & 07777;
    long uid = ((Number) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS)).longValue();
    long gid = ((Number) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS)).longValue();
    if (Files.isSymbolicLink(p)) {
      return new Node('l', 0777, uid, gid, null, Files.readSymbolicLink(p).toString());
    }
    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      return new Node('d', mode, uid, gid, null, null);
    }
    try (InputStream in = Files.newInputStream(p)) {
      return new Node('f', mode, uid, gid, sha256(in), null);
    }
  }

  static String normalize(String name) {
    String p = name;
    while (p.startsWith("./")) {
      p = p.substring(2);
    }
    while (p.startsWith("/")) {
      p = p.substring(1);
    }
    while (p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    return p.equals(".") ? "" : p;
  }

  static String sha256(InputStream in) throws IOException {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[65536];
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hex(String algorithm, byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** apk's Q1 checksum: "Q1" + base64 of the SHA-1 of {@code data}. */
  static String q1(byte[] data) {
    try {
      return "Q1" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---------------------------------------------------------------- installed databases

  /** The records of an installed database (or an APKINDEX), as text without the blank line, by package name. */
  static Map<String, String> records(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String stanza : text.split("\n\n")) {
      String s = stanza.strip();
      if (!s.isEmpty()) {
        out.put(field(s, 'P'), s);
      }
    }
    return out;
  }

  /** The first {@code K:} value of a record, or null. */
  static String field(String record, char key) {
    for (String line : record.split("\n")) {
      if (line.length() >= 2 && line.charAt(0) == key && line.charAt(1) == ':') {
        return line.substring(2);
      }
    }
    return null;
  }

  /** A record with its {@code K:} value replaced. */
  static String withField(String record, char key, String value) {
    StringBuilder out = new StringBuilder();
    for (String line : record.split("\n")) {
      out.append(line.length() >= 2 && line.charAt(0) == key && line.charAt(1) == ':' ? key + ":" + value : line)
          .append('\n');
    }
    return out.toString().strip();
  }

  /** One file (or symlink) a record lists: its path and its {@code a:} and {@code Z:}. */
  record RecordFile(String path, String acl, String checksum) {}

  /** The files a record lists (R: under the last F:), and its directories (F:) with their M:. */
  static List<RecordFile> recordFiles(String record, boolean directories) {
    List<RecordFile> out = new ArrayList<>();
    String dir = "";
    RecordFile current = null;
    for (String line : record.split("\n")) {
      if (line.length() < 2) {
        continue;
      }
      String v = line.substring(2);
      switch (line.charAt(0)) {
        case 'F' -> {
          dir = v;
          current = null;
          if (directories) {
            out.add(new RecordFile(v, null, null));
          }
        }
        case 'M' -> {
          if (directories) {
            RecordFile d = out.remove(out.size() - 1);
            out.add(new RecordFile(d.path(), v, null));
          }
        }
        case 'R' -> {
          if (!directories) {
            current = new RecordFile(dir.isEmpty() ? v : dir + "/" + v, null, null);
            out.add(current);
          }
        }
        case 'a' -> {
          if (!directories && current != null) {
            out.set(out.size() - 1, current = new RecordFile(current.path(), v, current.checksum()));
          }
        }
        case 'Z' -> {
          if (!directories && current != null) {
            out.set(out.size() - 1, current = new RecordFile(current.path(), current.acl(), v));
          }
        }
        default -> { }
      }
    }
    return out;
  }

  /** An upgrade as {@code apk upgrade} makes it: the package, the installed version, the new one. */
  record Upgrade(String name, String from, String to) {}

  /** Packages of the old database whose version differs in the new one (removed ones have {@code to} null). */
  static List<Upgrade> upgrades(String oldInstalled, String newInstalled) {
    Map<String, String> older = records(oldInstalled);
    Map<String, String> newer = records(newInstalled);
    List<Upgrade> out = new ArrayList<>();
    older.forEach((name, rec) -> {
      String to = newer.containsKey(name) ? field(newer.get(name), 'V') : null;
      if (!field(rec, 'V').equals(to)) {
        out.add(new Upgrade(name, field(rec, 'V'), to));
      }
    });
    return out;
  }

  /** The installed database of a rootfs tarball, at lib/ (or usr/lib/). */
  static String installed(Path tarGz) throws IOException {
    Map<String, byte[]> db = files(tarGz, p -> p.equals("lib/apk/db/installed") || p.equals("usr/lib/apk/db/installed"));
    return new String(db.values().iterator().next(), StandardCharsets.UTF_8);
  }

  /** The entries of a tar (uncompressed), by name, with their content. */
  static Map<String, byte[]> tarEntries(byte[] tar) throws IOException {
    Map<String, byte[]> out = new LinkedHashMap<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        out.put(e.getName(), in.readAllBytes());
      }
    }
    return out;
  }

  /**
   * The URL prefix all of a rootfs's /etc/apk/repositories lines share, up to a '/': what one
   * {@code --mirror} rewrites. Read from the image at test time; no archive host is written here.
   */
  static String repositoriesPrefix(Path tarGz) throws IOException {
    List<String> urls = new String(file(tarGz, "etc/apk/repositories"), StandardCharsets.UTF_8).lines()
        .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    String prefix = urls.get(0).substring(0, urls.get(0).lastIndexOf('/'));
    for (String u : urls) {
      while (!u.startsWith(prefix + "/")) {
        prefix = prefix.substring(0, prefix.lastIndexOf('/'));
      }
    }
    return prefix;
  }

  /** The last path segments of each repository line after {@link #repositoriesPrefix}: "main", "community". */
  static List<String> repositoryNames(Path tarGz) throws IOException {
    String prefix = repositoriesPrefix(tarGz);
    return new String(file(tarGz, "etc/apk/repositories"), StandardCharsets.UTF_8).lines()
        .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .map(l -> l.substring(prefix.length() + 1)).toList();
  }

  // ---------------------------------------------------------------- gzip members

  /** One gzip member of a file: its compressed bytes and what they inflate to. */
  record Member(byte[] compressed, byte[] raw) {}

  /** The gzip members of an .apk or APKINDEX.tar.gz, in order. */
  static List<Member> members(byte[] file) throws IOException {
    List<Member> out = new ArrayList<>();
    int off = 0;
    while (off < file.length) {
      if ((file[off] & 0xff) != 0x1f || (file[off + 1] & 0xff) != 0x8b) {
        throw new IOException("not a gzip member at " + off);
      }
      int flags = file[off + 3];
      int p = off + 10;
      if ((flags & 4) != 0) {
        p += 2 + ((file[p] & 0xff) | (file[p + 1] & 0xff) << 8);
      }
      if ((flags & 8) != 0) {
        while (file[p++] != 0) { }
      }
      if ((flags & 16) != 0) {
        while (file[p++] != 0) { }
      }
      if ((flags & 2) != 0) {
        p += 2;
      }
      Inflater inflater = new Inflater(true);
      inflater.setInput(file, p, file.length - p);
      ByteArrayOutputStream raw = new ByteArrayOutputStream();
      byte[] buf = new byte[65536];
      try {
        while (!inflater.finished()) {
          int n = inflater.inflate(buf);
          if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
            throw new IOException("truncated gzip member at " + off);
          }
          raw.write(buf, 0, n);
        }
      } catch (java.util.zip.DataFormatException e) {
        throw new IOException(e);
      }
      int end = file.length - inflater.getRemaining() + 8;
      inflater.end();
      out.add(new Member(java.util.Arrays.copyOfRange(file, off, end), raw.toByteArray()));
      off = end;
    }
    return out;
  }

  // ---------------------------------------------------------------- the HTTP repository

  /**
   * Directories served over HTTP on loopback: a request for {@code /PREFIX/rest} is answered from
   * {@code dir/rest} of the longest matching prefix. Registered as a static extension it stops
   * after the class.
   */
  static final class Server implements AutoCloseable, org.junit.jupiter.api.extension.AfterAllCallback {
    private final Map<String, Path> roots = new ConcurrentHashMap<>();
    private final Map<String, Integer> hits = new ConcurrentHashMap<>();
    private HttpServer server;
    private ExecutorService threads;

    private synchronized HttpServer server() {
      if (server == null) {
        try {
          server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        threads = Executors.newFixedThreadPool(4, r -> {
          Thread t = new Thread(r, "fixture-apk");
          t.setDaemon(true);
          return t;
        });
        server.createContext("/", exchange -> {
          Path file = resolve(exchange.getRequestURI().getPath());
          hits.merge(exchange.getRequestURI().getPath(), 1, Integer::sum);
          if (file == null || !Files.isRegularFile(file)) {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
            return;
          }
          exchange.sendResponseHeaders(200, Files.size(file));
          try (OutputStream out = exchange.getResponseBody()) {
            Files.copy(file, out);
          }
        });
        server.setExecutor(threads);
        server.start();
      }
      return server;
    }

    private Path resolve(String path) {
      String best = null;
      for (String prefix : roots.keySet()) {
        if ((path.startsWith(prefix + "/")) && (best == null || prefix.length() > best.length())) {
          best = prefix;
        }
      }
      if (best == null) {
        return null;
      }
      Path root = roots.get(best);
      Path file = root.resolve(path.substring(best.length() + 1)).normalize();
      return file.startsWith(root) ? file : null;
    }

    /** Serves {@code dir} at {@code /prefix}; returns that URL (no trailing slash). */
    String serve(String prefix, Path dir) {
      String p = prefix.startsWith("/") ? prefix : "/" + prefix;
      roots.put(p, dir.toAbsolutePath().normalize());
      InetSocketAddress a = server().getAddress();
      return "http://" + a.getAddress().getHostAddress() + ":" + a.getPort() + p;
    }

    /** How many times each path was asked for. */
    Map<String, Integer> hits() {
      return hits;
    }

    @Override
    public void afterAll(org.junit.jupiter.api.extension.ExtensionContext context) {
      close();
    }

    @Override
    public synchronized void close() {
      if (server != null) {
        server.stop(0);
        threads.shutdownNow();
        server = null;
      }
    }
  }

  // ---------------------------------------------------------------- images

  /** A layer blob already written (a minirootfs .tar.gz, or one made here). */
  record Layer(Path blob, Digest digest, long size, Digest diffId) {
    static Layer of(Path blob) throws IOException {
      String compressed;
      String uncompressed;
      try (InputStream in = Files.newInputStream(blob)) {
        compressed = sha256(in);
      }
      try (InputStream in = new GZIPInputStream(Files.newInputStream(blob))) {
        uncompressed = sha256(in);
      }
      return new Layer(blob, Digest.parse("sha256:" + compressed), Files.size(blob),
          Digest.parse("sha256:" + uncompressed));
    }
  }

  /** The OCI platform of an Alpine architecture name. */
  static Platform platform(String alpineArch) {
    return switch (alpineArch) {
      case "x86_64" -> Platform.of("linux", "amd64");
      case "aarch64" -> Platform.of("linux", "arm64", "v8");
      default -> throw new IllegalArgumentException(alpineArch);
    };
  }

  /** The OCI architecture of an Alpine architecture name: amd64, arm64. */
  static String ociArch(String alpineArch) {
    return platform(alpineArch).architecture();
  }

  /**
   * An image of {@code layers} (the first usually a minirootfs tarball used as is) for {@code alpineArch},
   * written to {@code layout} under {@code tag} (null: untagged); returns its descriptor, platform set.
   */
  static Descriptor image(OciLayout layout, String tag, String alpineArch, List<Layer> layers, String createdBy)
      throws IOException {
    Platform platform = platform(alpineArch);
    List<Descriptor> descriptors = new ArrayList<>();
    ObjectNode config = JSON.createObjectNode().put("architecture", platform.architecture()).put("os", "linux")
        .put("created", Instant.ofEpochSecond(CREATED).toString());
    platform.variant().ifPresent(v -> config.put("variant", v));
    ObjectNode c = config.putObject("config");
    c.putArray("Env").add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    c.putArray("Cmd").add("/bin/sh");
    ObjectNode rootfs = config.putObject("rootfs").put("type", "layers");
    ArrayNode diffIds = rootfs.putArray("diff_ids");
    ArrayNode history = config.putArray("history");
    for (Layer l : layers) {
      Descriptor d = Descriptor.of(MediaTypes.OCI_LAYER_TAR_GZIP, l.digest(), l.size());
      layout.putBlob(d, () -> Files.newInputStream(l.blob()));
      descriptors.add(d);
      diffIds.add(l.diffId().toString());
      history.addObject().put("created", config.get("created").asText()).put("created_by", createdBy);
    }
    byte[] configBytes = JSON.writeValueAsBytes(config);
    Descriptor cd = Descriptor.of(MediaTypes.OCI_CONFIG, Digest.sha256(configBytes), configBytes.length);
    layout.putBlob(cd, () -> new ByteArrayInputStream(configBytes));
    Manifest m = Manifest.create(MediaTypes.OCI_MANIFEST, cd, descriptors)
        .withAnnotation("org.opencontainers.image.title", "alpine-e2e");
    layout.putManifest(m, tag);
    return m.descriptor().withPlatform(platform);
  }

  /** An OCI index of {@code entries}, tagged {@code tag}. */
  static Index index(OciLayout layout, String tag, List<Descriptor> entries) throws IOException {
    Index index = Index.create(MediaTypes.OCI_INDEX, entries).withAnnotation("org.example.index", "alpine-e2e");
    layout.putManifest(index, tag);
    return index;
  }

  /** What one entry of a made layer is: a file (content, mode), a symlink, a directory, or a whiteout. */
  record Entry(String path, char type, int mode, byte[] content, String link) {
    static Entry file(String path, int mode, String content) {
      return new Entry(path, 'f', mode, content.getBytes(StandardCharsets.UTF_8), null);
    }

    static Entry file(String path, int mode, byte[] content) {
      return new Entry(path, 'f', mode, content, null);
    }

    static Entry directory(String path) {
      return new Entry(path, 'd', 0755, null, null);
    }

    static Entry symlink(String path, String target) {
      return new Entry(path, 'l', 0777, null, target);
    }

    /** A whiteout hiding {@code path} of the layers below. */
    static Entry whiteout(String path) {
      int slash = path.lastIndexOf('/');
      return new Entry(path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1), 'f', 0644, new byte[0], null);
    }
  }

  /** A gzip layer of {@code entries} (owned by root, time {@link #CREATED}), written to {@code blob}. */
  static Layer layer(Path blob, List<Entry> entries) throws IOException {
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(Files.newOutputStream(blob)))) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Entry e : entries) {
        TarArchiveEntry t = switch (e.type()) {
          case 'd' -> new TarArchiveEntry(e.path() + "/", TarArchiveEntry.LF_DIR);
          case 'l' -> {
            TarArchiveEntry s = new TarArchiveEntry(e.path(), TarArchiveEntry.LF_SYMLINK);
            s.setLinkName(e.link());
            yield s;
          }
          default -> {
            TarArchiveEntry f = new TarArchiveEntry(e.path());
            f.setSize(e.content().length);
            yield f;
          }
        };
        t.setMode((e.type() == 'd' ? 040000 : e.type() == 'l' ? 0120000 : 0100000) | e.mode());
        t.setModTime(CREATED * 1000);
        tar.putArchiveEntry(t);
        if (e.type() == 'f') {
          tar.write(e.content());
        }
        tar.closeArchiveEntry();
      }
    }
    return Layer.of(blob);
  }

  /**
   * A minirootfs tarball laid out as Wolfi is (usrmerged): everything under lib/ moved to usr/lib/
   * (a lib/ file wins over a usr/lib/ symlink to it, as usrmerge tools do), {@code lib -> usr/lib},
   * so the database is at usr/lib/apk/db/installed; /etc/os-release says wolfi; {@code extra} files added.
   */
  /**
   * The database with each {@code var/lib/db/sbom/<name>-<version>.spdx.json} of {@code extra} owned
   * by that package's record, as melange-built Wolfi packages ship and apk records their SBOM.
   */
  static byte[] withSboms(byte[] installed, Map<String, byte[]> extra) {
    String text = new String(installed, StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder();
    for (String record : text.split("\n\n", -1)) {
      if (record.isEmpty()) {
        continue;
      }
      out.append(record);
      String file = "var/lib/db/sbom/" + field(record, 'P') + "-" + field(record, 'V') + ".spdx.json";
      byte[] sbom = extra.get(file);
      if (sbom != null) {
        out.append("\nF:var/lib/db/sbom\nR:").append(file.substring(file.lastIndexOf('/') + 1))
            .append("\nZ:").append(q1(sbom));
      }
      out.append("\n\n");
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  static Layer usrmerged(Path tarGz, Path blob, Map<String, byte[]> extra) throws IOException {
    Set<String> fromLib = new java.util.HashSet<>();
    for (String p : tarTree(tarGz).keySet()) {
      if (p.startsWith("lib/")) {
        fromLib.add("usr/" + p);
      }
    }
    try (TarArchiveInputStream in = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(tarGz)));
        TarArchiveOutputStream out = new TarArchiveOutputStream(new GZIPOutputStream(Files.newOutputStream(blob)))) {
      out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      List<TarArchiveEntry> lib = new ArrayList<>();
      List<byte[]> libContent = new ArrayList<>();
      for (TarArchiveEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        String path = normalize(e.getName());
        if (path.equals("lib")) {
          continue;
        }
        byte[] content = e.isFile() ? in.readAllBytes() : null;
        if (path.equals("lib/apk/db/installed")) {
          content = withSboms(content, extra);
        }
        if (path.startsWith("lib/")) {
          TarArchiveEntry moved = copy(e, "usr/" + path);
          if (content != null) {
            moved.setSize(content.length);
          }
          lib.add(moved);
          libContent.add(content);
          continue;
        }
        if (fromLib.contains(path) && !e.isDirectory()) {
          continue;
        }
        if (path.equals("etc/os-release")) {
          content = extra.getOrDefault(path, content);
        }
        TarArchiveEntry c = copy(e, path);
        if (content != null) {
          c.setSize(content.length);
        }
        out.putArchiveEntry(c);
        if (content != null) {
          out.write(content);
        }
        out.closeArchiveEntry();
        if (path.equals("usr/lib")) {
          for (int i = 0; i < lib.size(); i++) {
            // lib/ came before usr/lib/ in the tarball: written now that usr/lib exists.
            write(out, lib.get(i), libContent.get(i));
          }
          lib.clear();
          libContent.clear();
        }
      }
      for (int i = 0; i < lib.size(); i++) {
        write(out, lib.get(i), libContent.get(i));
      }
      TarArchiveEntry link = new TarArchiveEntry("lib", TarArchiveEntry.LF_SYMLINK);
      link.setLinkName("usr/lib");
      link.setMode(0120777);
      link.setModTime(CREATED * 1000);
      out.putArchiveEntry(link);
      out.closeArchiveEntry();
      for (Map.Entry<String, byte[]> x : extra.entrySet()) {
        if (!x.getKey().equals("etc/os-release")) {
          for (int i = x.getKey().indexOf('/'); i > 0; i = x.getKey().indexOf('/', i + 1)) {
            String dir = x.getKey().substring(0, i);
            if (dir.startsWith("var/lib/db")) {
              TarArchiveEntry d = new TarArchiveEntry(dir + "/", TarArchiveEntry.LF_DIR);
              d.setMode(040755);
              d.setModTime(CREATED * 1000);
              out.putArchiveEntry(d);
              out.closeArchiveEntry();
            }
          }
          TarArchiveEntry f = new TarArchiveEntry(x.getKey());
          f.setMode(0100644);
          f.setSize(x.getValue().length);
          f.setModTime(CREATED * 1000);
          out.putArchiveEntry(f);
          out.write(x.getValue());
          out.closeArchiveEntry();
        }
      }
    }
    return Layer.of(blob);
  }

  private static void write(TarArchiveOutputStream out, TarArchiveEntry e, byte[] content) throws IOException {
    out.putArchiveEntry(e);
    if (content != null) {
      out.write(content);
    }
    out.closeArchiveEntry();
  }

  private static TarArchiveEntry copy(TarArchiveEntry e, String path) {
    TarArchiveEntry c;
    if (e.isDirectory()) {
      c = new TarArchiveEntry(path + "/", TarArchiveEntry.LF_DIR);
    } else if (e.isSymbolicLink()) {
      c = new TarArchiveEntry(path, TarArchiveEntry.LF_SYMLINK);
      c.setLinkName(e.getLinkName());
    } else {
      c = new TarArchiveEntry(path);
      c.setSize(e.getSize());
    }
    c.setMode(e.getMode());
    c.setUserId(e.getLongUserId());
    c.setGroupId(e.getLongGroupId());
    c.setModTime(e.getModTime());
    return c;
  }

  /** The names in a gzip layer, as written (directories with their trailing '/'). */
  static List<String> layerNames(Path blob) throws IOException {
    List<String> out = new ArrayList<>();
    try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(Files.newInputStream(blob)))) {
      for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
        out.add(e.getName());
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- reports

  /** A Trivy (SchemaVersion 2) report for an image of {@code family} naming {@code upgrades} as fixes. */
  static Path trivyReport(Path file, String artifact, String family, String version, String ociArch,
      List<Upgrade> upgrades) throws IOException {
    ObjectNode r = JSON.createObjectNode().put("SchemaVersion", 2).put("ArtifactName", artifact)
        .put("ArtifactType", "container_image");
    ObjectNode md = r.putObject("Metadata");
    md.putObject("OS").put("Family", family).put("Name", version);
    md.putObject("ImageConfig").put("architecture", ociArch).put("os", "linux");
    ObjectNode result = r.putArray("Results").addObject().put("Target", artifact + " (" + family + " " + version + ")")
        .put("Class", "os-pkgs").put("Type", family);
    ArrayNode vulns = result.putArray("Vulnerabilities");
    for (Upgrade u : upgrades) {
      if (u.to() == null) {
        continue;
      }
      vulns.addObject().put("VulnerabilityID", "APK-UPGRADE-" + u.name()).put("PkgName", u.name())
          .put("PkgID", u.name() + "@" + u.from()).put("InstalledVersion", u.from()).put("FixedVersion", u.to())
          .put("Status", "fixed").put("Severity", "HIGH");
    }
    Files.createDirectories(file.getParent());
    Files.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(r));
    return file;
  }
}
