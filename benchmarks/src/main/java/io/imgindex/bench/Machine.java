package io.imgindex.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;

/** Prints what a figure was measured on, so figures carry their machine with them. */
final class Machine {

    private Machine() {}

    static void print(String what) {
        String cpu = "unknown CPU";
        try {
            cpu = Files.readAllLines(Paths.get("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip())
                    .findFirst()
                    .orElse(cpu);
        } catch (IOException e) {
            // Not Linux: the CPU stays unnamed.
        }
        System.out.printf(
                "%s%nmachine: %d cores (%s), %d MiB max heap, Java %s%n%n",
                what,
                Runtime.getRuntime().availableProcessors(),
                cpu,
                Runtime.getRuntime().maxMemory() >> 20,
                System.getProperty("java.version"));
    }
}
