package dev.imagepatch.patch.spi;

/** An installed package as a family's database lists it: what the pipeline verifies fixes against. */
public record Installed(String name, String architecture, String version) {}
