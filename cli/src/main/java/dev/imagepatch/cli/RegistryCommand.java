package dev.imagepatch.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * What every command that talks to registries has (copy, patch and the signing commands): the
 * registry options and picocli's spec, with the way they end, lines on stdout or a message on stderr.
 */
abstract class RegistryCommand implements Callable<Integer> {
  @Mixin
  RegistryOptions registries;

  @Spec
  CommandSpec spec;

  /** Prints these lines on standard output; exit code 0. */
  final int printed(List<String> lines) {
    PrintWriter out = spec.commandLine().getOut();
    lines.forEach(out::println);
    out.flush();
    return 0;
  }

  /** Prints this message on standard error; exit code 1. */
  final int failed(String message) {
    PrintWriter err = spec.commandLine().getErr();
    err.println(message);
    err.flush();
    return 1;
  }
}
