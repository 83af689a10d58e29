package dev.imagepatch.patch;

import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Patches container images: {@code Patcher.create().patch(request)}. Backends are found with
 * {@link ServiceLoader}; the default is the one named {@code native}, which patches in-process
 * and needs no container runtime.
 */
public final class Patcher {
  /** How long a timed-out patch is given to stop once interrupted. */
  private static final Duration STOP_GRACE = Duration.ofSeconds(30);

  private final PatchBackend backend;

  private Patcher(PatchBackend backend) {
    this.backend = backend;
  }

  /** A patcher with the native backend. */
  public static Patcher create() {
    return create("native");
  }

  /** A patcher with the backend of that {@linkplain PatchBackend#name() name} on the class path. */
  public static Patcher create(String backend) {
    List<PatchBackend> found = ServiceLoader.load(PatchBackend.class, Patcher.class.getClassLoader()).stream()
        .map(ServiceLoader.Provider::get).toList();
    return new Patcher(found.stream().filter(b -> b.name().equals(backend)).findFirst()
        .orElseThrow(() -> new IllegalStateException("no patch backend named " + backend + " (found: "
            + String.join(", ", found.stream().map(PatchBackend::name).toList()) + ")")));
  }

  /** A patcher with another backend. */
  public static Patcher with(PatchBackend backend) {
    return new Patcher(backend);
  }

  /**
   * Patches as the request says. With a {@linkplain PatchRequest#timeout() timeout} the patch runs
   * on a thread of its own and is interrupted when the time is up: downloads, uploads and file
   * writes stop, and no new registry request is sent, so the tag written last stays unwritten.
   * A patch that finishes anyway (its tag already written) returns its result.
   */
  public PatchResult patch(PatchRequest request) throws PatchException {
    Optional<Duration> timeout = request.timeout();
    if (timeout.isEmpty()) {
      return run(request);
    }
    FutureTask<PatchResult> task = new FutureTask<>(() -> run(request));
    Thread worker = new Thread(task, "imagepatch-patch");
    worker.setDaemon(true);
    worker.start();
    try {
      try {
        return outcome(task, timeout.get());
      } catch (TimeoutException expired) {
        worker.interrupt();
        worker.join(STOP_GRACE.toMillis());
        String message = "the patch exceeded its timeout of " + format(timeout.get()) + " and was stopped";
        try {
          return outcome(task, Duration.ZERO);
        } catch (TimeoutException stillRunning) {
          throw new PatchTimeoutException(timeout.get(), message + " (still stopping after "
              + format(STOP_GRACE) + "); the image's tag was not written", null);
        } catch (PatchException | RuntimeException failed) {
          throw new PatchTimeoutException(timeout.get(), message + "; the image's tag was not written", failed);
        }
      }
    } catch (InterruptedException e) {
      worker.interrupt();
      Thread.currentThread().interrupt();
      throw new PatchException("the patch was interrupted", e);
    }
  }

  /**
   * Bad input found inside an image, a package or a repository (an invalid version, a malformed
   * field) is a failed patch, not a wrong call: callers such as the CLI keep their usage errors
   * for what they were given themselves.
   */
  private PatchResult run(PatchRequest request) throws PatchException {
    try {
      return backend.patch(request);
    } catch (IllegalArgumentException e) {
      throw new PatchException(String.valueOf(e.getMessage()), e);
    }
  }

  private static PatchResult outcome(FutureTask<PatchResult> task, Duration wait)
      throws PatchException, TimeoutException, InterruptedException {
    try {
      return task.get(wait.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof PatchException p) {
        throw p;
      }
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new PatchException(String.valueOf(cause.getMessage()), cause);
    }
  }

  /** As Go (and so Copa) writes durations: {@code 5m0s}, {@code 1h30m0s}, {@code 1.5s}. */
  static String format(Duration d) {
    long hours = d.toHours();
    int minutes = d.toMinutesPart();
    int seconds = d.toSecondsPart();
    int millis = d.toMillisPart();
    StringBuilder out = new StringBuilder();
    if (hours > 0) {
      out.append(hours).append('h');
    }
    if (hours > 0 || minutes > 0) {
      out.append(minutes).append('m');
    }
    out.append(seconds);
    if (millis > 0) {
      out.append('.').append(String.format("%03d", millis).replaceAll("0+$", ""));
    }
    return out.append('s').toString();
  }
}
