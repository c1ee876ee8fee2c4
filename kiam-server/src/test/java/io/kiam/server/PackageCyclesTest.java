package io.kiam.server;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Dependencies between this module's packages point one way: a package cycle is a bug. */
class PackageCyclesTest {
  @Test
  void packagesAreFreeOfCycles() {
    // This module's main classes only: scanning the whole class path takes half a minute.
    JavaClasses classes = new ClassFileImporter().importPath(Path.of("target", "classes"));
    slices().matching("io.kiam.(**)").should().beFreeOfCycles().check(classes);
  }
}
