package dev.imagepatch.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code imagepatch} command. */
@Command(name = "imagepatch", mixinStandardHelpOptions = true, version = "imagepatch 0.1.0-SNAPSHOT",
    description = "Patches OS-package vulnerabilities in container images without rebuilding them.",
    subcommands = {PatchCommand.class, ReportCommand.class, CopyCommand.class, SignCommands.Sign.class,
        SignCommands.Verify.class, SignCommands.Attest.class, SignCommands.VerifyAttestation.class,
        SignCommands.GenerateKeyPair.class, DemoCommand.class})
public final class Main implements Runnable {

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /**
   * Runs the command line with the given streams and returns the exit code: 0 done, 1 failed,
   * 2 the command line or an argument is wrong.
   */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cli = new CommandLine(new Main());
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("imagepatch: error: " + describe(e));
      commandLine.getErr().flush();
      return e instanceof IllegalArgumentException ? 2 : 1;
    });
    // A wrong command line gets its one error line and a hint, not the whole usage (which --help prints).
    cli.setParameterExceptionHandler((e, arguments) -> {
      PrintWriter w = e.getCommandLine().getErr();
      w.println("imagepatch: error: " + e.getMessage());
      w.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
      w.flush();
      return 2;
    });
    int code = cli.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  private static String describe(Exception e) {
    String message = e.getMessage();
    if (e instanceof java.nio.file.NoSuchFileException n) {
      return n.getReason() != null ? n.getFile() + ": " + n.getReason() : "no such file " + n.getFile();
    }
    return message != null ? message : e.toString();
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.err);
  }
}
