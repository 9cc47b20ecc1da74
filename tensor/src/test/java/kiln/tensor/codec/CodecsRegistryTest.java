package kiln.tensor.codec;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CodecsRegistryTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
            "Q6_K", "Q8_K", "IQ4_NL", "IQ4_XS", "F32", "F16", "BF16"})
    void scalarTypesAreRegisteredForBothFlavours(GgmlType type) {
        for (Flavor f : Flavor.values()) {
            RowCodec c = Codecs.find(type, f);
            assertNotNull(c, type + " " + f);
            assertEquals(type, c.type());
            assertTrue(c.canQuantize());
            assertFalse(c.requiresImatrix());
        }
        assertTrue(Codecs.canDequantize(type));
    }

    @Test
    void unknownTypeGivesOneLineError() {
        KilnException e = assertThrows(KilnException.class, () -> Codecs.require(GgmlType.IQ1_BN, Flavor.MAINLINE));
        assertTrue(e.getMessage().contains("iq1_bn") && e.getMessage().contains("q4_K"), e.getMessage());
    }
}
