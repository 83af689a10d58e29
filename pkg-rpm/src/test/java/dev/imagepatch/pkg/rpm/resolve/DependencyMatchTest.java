package dev.imagepatch.pkg.rpm.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.imagepatch.pkg.rpm.repo.RpmDependency;
import dev.imagepatch.pkg.rpm.repo.RpmDependency.Flags;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Versioned dependency matching as libsolv (dnf's solver) does it: {@code pool_intersect_evrs}
 * over {@code pool_evrcmp_str(EVRCMP_MATCH_RELEASE)}; rpm 4.18's {@code rpmverOverlap} agrees.
 */
class DependencyMatchTest {
  static Dependency.Simple dep(String name, Flags flags, String epoch, String version, String release) {
    return Dependency.Simple.of(new RpmDependency(name, flags, epoch, version, release, false));
  }

  static boolean provides(Dependency.Simple provide, Dependency.Simple require) {
    return require.matchedBy(provide);
  }

  @Test
  void unversionedProvideSatisfiesEveryRequirementOfItsName() {
    assertTrue(provides(dep("foo", null, null, null, null), dep("foo", Flags.GE, "3", "9", "1")));
    assertTrue(provides(dep("foo", Flags.EQ, "0", "1", "1"), dep("foo", null, null, null, null)));
    assertFalse(provides(dep("bar", null, null, null, null), dep("foo", null, null, null, null)));
  }

  @Test
  void rangesIntersect() {
    Dependency.Simple p = dep("foo", Flags.EQ, "0", "1.2", "3.el9");
    assertTrue(provides(p, dep("foo", Flags.GE, null, "1.2", null)));
    assertTrue(provides(p, dep("foo", Flags.GE, "0", "1.2", "3.el9")));
    assertFalse(provides(p, dep("foo", Flags.GT, "0", "1.2", "3.el9")));
    assertTrue(provides(p, dep("foo", Flags.LT, null, "1.10", null)));
    assertFalse(provides(p, dep("foo", Flags.LT, null, "1.2", null)), "1.2-3 is not below 1.2: no release on"
        + " the requirement's side matches only with equality");
    assertTrue(provides(p, dep("foo", Flags.LE, null, "1.2", null)));
    // Two open ranges in the same direction always meet.
    assertTrue(provides(dep("foo", Flags.GE, null, "5", null), dep("foo", Flags.GT, null, "9", null)));
    assertFalse(provides(dep("foo", Flags.LE, null, "5", null), dep("foo", Flags.GT, null, "9", null)));
  }

  @Test
  void aSideWithoutReleaseMatchesAnyReleaseWhenItsRangeHasEquality() {
    assertTrue(provides(dep("foo", Flags.EQ, null, "1.0", null), dep("foo", Flags.GE, null, "1.0", "5")));
    assertTrue(provides(dep("foo", Flags.EQ, null, "1.0", null), dep("foo", Flags.EQ, null, "1.0", "5")));
    assertFalse(provides(dep("foo", Flags.GT, null, "1.0", null), dep("foo", Flags.EQ, null, "1.0", "5")));
    assertTrue(provides(dep("foo", Flags.EQ, null, "1.0", "7"), dep("foo", Flags.EQ, null, "1.0", null)));
  }

  @Test
  void aMissingEpochIsEpochZero() {
    // libsolv (promoteepoch off for rpm) and rpm 4.18 alike: "foo = 1.0" is "foo = 0:1.0". The
    // "an epoch-less provide matches any epoch" rule was rpm 4.4's _rpmds_nopromote and is gone.
    assertFalse(provides(dep("foo", Flags.EQ, null, "1.0", "1"), dep("foo", Flags.GE, "1", "0.5", null)));
    assertTrue(provides(dep("foo", Flags.EQ, "1", "0.1", "1"), dep("foo", Flags.GE, null, "9.0", null)));
    assertTrue(provides(dep("foo", Flags.EQ, "0", "1.0", "1"), dep("foo", Flags.EQ, null, "1.0", "1")));
    assertTrue(provides(dep("foo", Flags.EQ, "00", "1.0", "1"), dep("foo", Flags.EQ, "0", "1.0", "1")));
  }

  @Test
  void versionsCompareAsRpmDoes() {
    assertTrue(provides(dep("foo", Flags.EQ, null, "1.0~rc1", "1"), dep("foo", Flags.LT, null, "1.0", null)));
    assertTrue(provides(dep("foo", Flags.EQ, null, "1.0^git1", "1"), dep("foo", Flags.GT, null, "1.0", "1")));
    assertTrue(provides(dep("foo", Flags.EQ, null, "1.010", "1"), dep("foo", Flags.EQ, null, "1.10", "1")));
  }

  @Test
  void headerFlagsBecomeMetadataFlags() {
    assertEquals(new RpmDependency("foo", Flags.GE, "2", "1.0", "3", false), RpmSolvable.of("foo", 4 | 8, "2:1.0-3"));
    assertEquals(new RpmDependency("foo", Flags.LT, null, "1.0", null, true), RpmSolvable.of("foo", 2 | 64, "1.0"));
    assertEquals(new RpmDependency("foo", null, null, null, null, false), RpmSolvable.of("foo", 0, ""));
  }

  @Test
  void packagesProvideThemselves() {
    RpmSolvable s = new RpmSolvable("foo", "1", "2.0", "3", "x86_64", List.of(), List.of(), List.of(), List.of(),
        List.of("/usr/bin/foo"), "repo");
    Pkg p = new Pkg(s, null, 99, 1000, 0);
    assertTrue(p.provides(dep("foo", Flags.EQ, "1", "2.0", "3")));
    assertFalse(p.provides(dep("foo", Flags.EQ, null, "2.0", "3")));
    assertTrue(p.provides(dep("/usr/bin/foo", null, null, null, null)));
    assertEquals("1:2.0-3", s.evr());
    assertEquals("foo-1:2.0-3.x86_64", s.nevra());
  }
}
