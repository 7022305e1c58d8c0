package io.spherical.cli;

import io.spherical.api.UserException;
import java.io.PrintWriter;
import io.spherical.models.loss.LossRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code spherical} command. Exit codes: 0 success, 2 user error (bad flag, missing or malformed corpus,
 * unusable checkpoint, no backend, diverging training), 1 internal error, 130 interrupted (checkpoint written).
 */
@Command(name = "spherical", mixinStandardHelpOptions = true, version = "spherical 0.1.0-SNAPSHOT",
        description = "Train and evaluate language models with very large output layers (Z-loss and the spherical family).",
        subcommands = {TrainCommand.class, EvalCommand.class, PredictCommand.class, IndexCommand.class, PrepareCommand.class, BackendsCommand.class, LossesCommand.class,
            BenchCommand.class, ExperimentCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Examples:", "  spherical train                      # Brown corpus, factored Z-loss, best backend",
            "  spherical train --output softmax --epochs 2", "  spherical eval --run runs/latest --split test",
            "  spherical backends", "  spherical losses",
            "  spherical --plugins examples/custom-loss/target losses   # loss plugins: every jar in a directory"})
public final class Main implements Runnable {
    /** Exit status of a user error. */
    public static final int USER_ERROR = 2;
    /** Exit status after an interrupt that wrote a checkpoint. */
    public static final int INTERRUPTED = 130;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Declared for help and parsing: {@link Plugins#install} reads it from the arguments before they are parsed. */
    @CommandLine.Option(names = Plugins.OPTION, paramLabel = "DIR", scope = CommandLine.ScopeType.INHERIT,
            description = "loss plugins: every .jar in DIR (several directories: separated by ':', ';' on Windows) is "
                    + "loaded, for every command; a run records the plugin jar its loss came from (default: $"
                    + Plugins.ENV + ", else none)")
    String plugins;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs the command and exits with its status. The application's process-wide settings are made here only. */
    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true"); // plots are written to files; never open a display
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int code = execute(args, out, err);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /**
     * Runs the command with the given streams and returns its exit status (used by tests in-process). The plugin jars
     * of {@code --plugins} (or {@code SPHERICAL_PLUGINS}) are loaded first, before the command line is parsed, and
     * are the thread's context class loader until the command returns.
     */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        Plugins plugins;
        try {
            plugins = Plugins.install(args, System.getenv(Plugins.ENV));
        } catch (UserException e) {
            err.println("spherical: " + e.getMessage());
            if (verbose) {
                e.printStackTrace(err);
            }
            return USER_ERROR;
        }
        try {
            return execute(args, out, err, verbose);
        } finally {
            plugins.close();
        }
    }

    private static int execute(String[] args, PrintWriter out, PrintWriter err, boolean verbose) {
        CommandLine cl = new CommandLine(new Main());
        TrainCommand train = cl.getSubcommands().get("train").getCommand();
        LossOptions.addTo(cl.getSubcommands().get("train").getCommandSpec(), LossRegistry.discover(), train.lossOptions);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("spherical: " + ex.getMessage().strip() + " (see 'spherical " + commandName(ex.getCommandLine())
                    + " --help')");
            return USER_ERROR;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            Throwable root = ex;
            while (!(root instanceof UserException) && root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            if (root instanceof UserException) {
                err.println("spherical: " + root.getMessage());
                if (verbose) {
                    ex.printStackTrace(err);
                }
                return USER_ERROR;
            }
            err.println("spherical: internal error: " + ex + " (run with --verbose for the stack trace; please report it)");
            if (verbose) {
                ex.printStackTrace(err);
            }
            return 1;
        });
        return cl.execute(args);
    }

    private static String commandName(CommandLine c) {
        return c.getCommandSpec().qualifiedName(" ").replaceFirst("^spherical ?", "");
    }
}
