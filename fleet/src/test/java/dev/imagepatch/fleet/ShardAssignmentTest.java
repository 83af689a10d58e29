package dev.imagepatch.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShardAssignmentTest {
  private static List<String> fleet(int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add("registry.example/apps/app" + i + ":1." + (i % 7));
    }
    return out;
  }

  @Test
  void everyImageHasExactlyOneShard() {
    for (String ref : fleet(200)) {
      int owners = 0;
      for (int i = 0; i < 4; i++) {
        owners += new ShardAssignment(i, 4).owns(ref) ? 1 : 0;
      }
      assertEquals(1, owners, ref);
    }
  }

  @Test
  void addingAnImageMovesNoOther() {
    List<String> before = fleet(100);
    List<String> after = new ArrayList<>(before);
    after.add("registry.example/apps/new:2.0");
    for (String ref : before) {
      assertEquals(ShardAssignment.shardOf(ref, 4), ShardAssignment.shardOf(ref, 4));
    }
    // The assignment depends on the image alone, so the new one cannot move the others; adding a
    // shard moves about a fifth of the images, all of them to the new shard.
    int moved = 0;
    for (String ref : after) {
      int four = ShardAssignment.shardOf(ref, 4);
      int five = ShardAssignment.shardOf(ref, 5);
      if (four != five) {
        moved++;
        assertEquals(4, five, ref);
      }
    }
    assertTrue(moved > 5 && moved < 40, "moved " + moved);
  }

  @Test
  void balanced() {
    int[] n = new int[4];
    for (String ref : fleet(400)) {
      n[ShardAssignment.shardOf(ref, 4)]++;
    }
    for (int c : n) {
      assertTrue(c > 60 && c < 140, java.util.Arrays.toString(n));
    }
  }

  @Test
  void parses() {
    assertEquals(new ShardAssignment(2, 4), ShardAssignment.parse("2/4"));
    assertThrows(IllegalArgumentException.class, () -> ShardAssignment.parse("4/4"));
    assertThrows(IllegalArgumentException.class, () -> ShardAssignment.parse("2"));
    assertThrows(IllegalArgumentException.class, () -> ShardAssignment.parse("a/4"));
  }
}
