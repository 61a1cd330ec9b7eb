package org.voxellens.xai.attribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MethodCatalogTest {

    static final MethodCatalog.Options O = new MethodCatalog.Options(null, 10, 0.15, 16, IntegratedGradients.Baseline.ZERO, 4);

    @Test
    void namesAndAliasesInTheGivenOrderWithoutDuplicates() {
        List<AttributionMethod> m = MethodCatalog.parse("ig, Gradcam++ ,sg,smoothgrad, saliency", O);
        assertEquals(List.of("ig", "gradcampp", "smoothgrad", "saliency"), m.stream().map(AttributionMethod::id).toList());
        assertEquals(10, m.get(2).parameters().get("samples"));
    }

    @Test
    void allMeansEveryMethod() {
        assertEquals(MethodCatalog.NAMES, MethodCatalog.parse("all", O).stream().map(AttributionMethod::id).toList());
    }

    @Test
    void unknownNamesListTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MethodCatalog.parse("gradcam,lime", O));
        assertTrue(e.getMessage().contains("'lime'") && e.getMessage().contains("smoothgrad"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MethodCatalog.parse(" , ", O));
    }
}
