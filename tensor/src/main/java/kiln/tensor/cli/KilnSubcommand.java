package kiln.tensor.cli;

/**
 * Marker for a picocli {@code @Command} class that the {@code kiln} root command picks up through
 * {@link java.util.ServiceLoader}: a module registers its commands in
 * {@code META-INF/services/kiln.tensor.cli.KilnSubcommand}, so no module edits the CLI's code to add one.
 * Implementations must have a public no-argument constructor and implement {@code Callable<Integer>}.
 */
public interface KilnSubcommand {
}
