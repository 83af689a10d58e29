package dev.imagepatch.patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.oci.Digest;
import dev.imagepatch.oci.layout.OciLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The wall-clock limit of a patch ({@code --timeout}), with backends that take their time. */
class PatcherTimeoutTest {
  private static final PatchResult DONE = new PatchResult(Digest.sha256(new byte[0]), Optional.empty(),
      Optional.empty(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), 0, 0);

  @TempDir
  Path temp;

  @Test
  void aPatchStillRunningAtTheTimeoutIsInterruptedAndFailsNamingTheLimit() throws Exception {
    AtomicBoolean interrupted = new AtomicBoolean();
    CountDownLatch stopped = new CountDownLatch(1);
    Patcher patcher = Patcher.with(backend(request -> {
      try {
        Thread.sleep(60_000);
        return DONE;
      } catch (InterruptedException e) {
        interrupted.set(true);
        throw new PatchException("interrupted while pushing", e);
      } finally {
        stopped.countDown();
      }
    }));
    PatchTimeoutException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
        () -> assertThrows(PatchTimeoutException.class, () -> patcher.patch(request(Duration.ofMillis(300)))));
    assertTrue(stopped.await(5, TimeUnit.SECONDS));
    assertTrue(interrupted.get());
    assertEquals(Duration.ofMillis(300), e.timeout());
    assertEquals("the patch exceeded its timeout of 0.3s and was stopped; the image's tag was not written",
        e.getMessage());
    assertEquals("interrupted while pushing", e.getCause().getMessage());
  }

  @Test
  void aPatchThatFinishesAnywayAfterTheInterruptReturnsItsResult() throws Exception {
    // The tag was already written when the time ran out: the result stands.
    Patcher patcher = Patcher.with(backend(request -> {
      long end = System.nanoTime() + Duration.ofMillis(600).toNanos();
      while (System.nanoTime() < end) {
        Thread.onSpinWait(); // not interruptible
      }
      return DONE;
    }));
    assertSame(DONE, patcher.patch(request(Duration.ofMillis(200))));
  }

  @Test
  void withinTheTimeoutResultsAndFailuresAreTheBackendsOwn() throws Exception {
    assertSame(DONE, Patcher.with(backend(request -> DONE)).patch(request(Duration.ofSeconds(30))));
    PatchException failure = new PatchException("no such package: libfoo");
    PatchException thrown = assertThrows(PatchException.class,
        () -> Patcher.with(backend(request -> {
          throw failure;
        })).patch(request(Duration.ofSeconds(30))));
    assertSame(failure, thrown);
    IllegalStateException bug = new IllegalStateException("a bug");
    assertSame(bug, assertThrows(IllegalStateException.class, () -> Patcher.with(backend(request -> {
      throw bug;
    })).patch(request(Duration.ofSeconds(30)))));
  }

  @Test
  void withoutATimeoutTheBackendRunsOnTheCallersThread() throws Exception {
    Thread caller = Thread.currentThread();
    Patcher.with(backend(request -> {
      assertSame(caller, Thread.currentThread());
      return DONE;
    })).patch(PatchRequest.builder(OciLayout.openOrCreate(temp), "v1").dryRun(true).build());
  }

  @Test
  void goDurationsAsCopaPrintsThem() {
    assertEquals("5m0s", Patcher.format(Duration.ofMinutes(5)));
    assertEquals("1h30m0s", Patcher.format(Duration.ofMinutes(90)));
    assertEquals("45s", Patcher.format(Duration.ofSeconds(45)));
    assertEquals("1.5s", Patcher.format(Duration.ofMillis(1500)));
    assertEquals("1h0m5s", Patcher.format(Duration.ofSeconds(3605)));
  }

  private PatchRequest request(Duration timeout) throws Exception {
    return PatchRequest.builder(OciLayout.openOrCreate(temp), "v1").dryRun(true).timeout(timeout).build();
  }

  private interface Body {
    PatchResult run(PatchRequest request) throws PatchException;
  }

  private static PatchBackend backend(Body body) {
    return new PatchBackend() {
      @Override
      public String name() {
        return "test";
      }

      @Override
      public PatchResult patch(PatchRequest request) throws PatchException {
        return body.run(request);
      }
    };
  }
}
