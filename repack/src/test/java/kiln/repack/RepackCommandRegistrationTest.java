package kiln.repack;

import kiln.tensor.cli.KilnSubcommand;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RepackCommandRegistrationTest {
    @Test
    void theRootCommandFindsRepack() {
        boolean found = ServiceLoader.load(KilnSubcommand.class).stream().anyMatch(p -> p.type() == RepackCommand.class);
        assertTrue(found, "kiln.repack.RepackCommand is not registered in META-INF/services");
        assertEquals("repack", new CommandLine(new RepackCommand()).getCommandName());
    }
}
