package io.imgindex.imaging.decode;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.testing.TestImages;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ImageDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder(DecodeOptions.pixels(50_000_000L, 32, 32, false));

    static Stream<Path> samples() throws IOException {
        try (Stream<Path> files = Files.list(TestImages.sampleData().resolve("images"))) {
            return files.sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @MethodSource("samples")
    void decodesEverySamplePhotograph(Path file) throws IOException {
        DecodedImage d = decoder.decode(Files.readAllBytes(file));

        assertThat(d.isOk()).as(d.message()).isTrue();
        String name = file.getFileName().toString();
        String expected = name.substring(name.lastIndexOf('.') + 1).replace("jpg", "jpeg");
        assertThat(d.format()).isEqualTo(expected);
        assertThat(d.width()).isBetween(100, 640);
        assertThat(d.height()).isBetween(100, 640);
        assertThat(d.pixels()).hasSize(32 * 32 * 3);
    }

    @Test
    void refusesThinImagesFromTheHeader() {
        // 1 x 50,000,000 is under the pixel limit; it used to make the decoder allocate without bound.
        DecodedImage bomb = decoder.decode(TestImages.pngBomb(1, 50_000_000));
        assertThat(bomb.reason()).isEqualTo("BAD_DIMENSIONS");
        assertThat(bomb.message()).contains("1x50000000");
        DecodedImage thin = decoder.decode(TestImages.pngBomb(1, 60_000));
        assertThat(thin.reason()).isEqualTo("BAD_DIMENSIONS");
        assertThat(thin.message()).contains("an aspect ratio of 60000:1 over the limit of 64:1");
        DecodedImage wide = decoder.decode(TestImages.pngBomb(70_000, 700));
        assertThat(wide.reason()).isEqualTo("BAD_DIMENSIONS");
        DecodedImage side = new ImageDecoder(DecodeOptions.pixels(
                        new DecodeOptions.Limits(50_000_000, 4_000, 64, 100, Duration.ofSeconds(10)), 32, 32, false))
                .decode(TestImages.pngBomb(5_000, 4_000));
        assertThat(side.reason()).isEqualTo("BAD_DIMENSIONS");
        assertThat(side.message()).contains("a side over the limit of 4000");
    }

    @Test
    void decodesAThinImageWithinMemoryOfItsOutputWhenAllowed() {
        // With the aspect limit lifted, a real 1 x 3,000,000 PNG (a few KB) decodes subsampled along its long
        // side: what is allocated stays near the output's size, not 3,000,000 rows of floats.
        byte[] png = TestImages.thinPng(1, 3_000_000);
        assertThat(png.length).isLessThan(64 * 1024);
        ImageDecoder lenient = new ImageDecoder(DecodeOptions.pixels(
                new DecodeOptions.Limits(50_000_000, 65_535 * 64, 1e9, 100, Duration.ofSeconds(30)), 32, 32, false));
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        DecodedImage d = lenient.decode(png);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(d.isOk()).as(d.message()).isTrue();
        assertThat(d.width()).isEqualTo(1);
        assertThat(d.height()).isEqualTo(3_000_000);
        assertThat(d.pixels()).hasSize(32 * 32 * 3);
        // Before: 3,000,000 x 32 x 3 floats (1.1 GB) for the horizontal pass alone. Now: the file, the inflater's
        // buffers and a 1 x 64 raster. 64 MB leaves room for ImageIO's own buffers.
        assertThat(allocated).as("bytes allocated by the decode").isLessThan(64L << 20);
    }

    @Test
    void refusesProgressiveJpegsOfTooManyScans() {
        byte[] progressive = TestImages.progressiveJpeg(256, 192);
        int scans = JpegScans.count(progressive);
        assertThat(scans).as("the JDK's progressive script").isBetween(6, 12);
        assertThat(decoder.decode(progressive).isOk()).isTrue();

        byte[] many = TestImages.withRepeatedLastScan(progressive, 300);
        assertThat(JpegScans.count(many)).isEqualTo(scans + 300);
        long start = System.nanoTime();
        DecodedImage d = decoder.decode(many);
        assertThat(d.reason()).isEqualTo("TOO_MANY_SCANS");
        assertThat(d.message()).contains((scans + 300) + " scans");
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("refused before decoding")
                .isLessThan(Duration.ofSeconds(1));
        // A large image is allowed fewer: its scans must add up to at most 20 passes at the pixel limit.
        DecodeOptions.Limits limits = DecodeOptions.Limits.defaults();
        assertThat(limits.scansAllowed(640 * 480)).isEqualTo(100);
        assertThat(limits.scansAllowed(7071L * 7071)).isEqualTo(20);
        assertThat(limits.scansAllowed(50_000_000)).isEqualTo(20);
        assertThat(JpegScans.count(TestImages.sample("coffee.jpg"))).isBetween(1, 20);
    }

    @Test
    void stopsADecodePastItsTimeOrWhenItsThreadIsInterrupted() {
        byte[] big = TestImages.twoColours(3000, 3000, Color.RED, Color.BLUE, "png");
        ImageDecoder hasty = new ImageDecoder(DecodeOptions.pixels(
                new DecodeOptions.Limits(50_000_000, 65_535, 64, 100, Duration.ofNanos(1)), 32, 32, false));
        DecodedImage late = hasty.decode(big);
        assertThat(late.reason()).isEqualTo("DECODE_TIMEOUT");
        assertThat(late.message()).contains("--decode.timeout");

        Thread.currentThread().interrupt();
        try {
            DecodedImage cancelled = decoder.decode(big);
            assertThat(cancelled.reason()).isEqualTo("DECODE_TIMEOUT");
            assertThat(cancelled.message()).contains("cancelled");
        } finally {
            Thread.interrupted();
        }
        assertThat(decoder.decode(big).isOk()).isTrue();
    }

    @Test
    void makesAnUprightThumbnailFromTheSameDecode() throws IOException {
        ImageDecoder withThumbnails = new ImageDecoder(
                DecodeOptions.pixels(50_000_000, 224, 224, false).withThumbnails(160));
        // Stored 480 x 640 with orientation 6: upright, landscape.
        DecodedImage d = withThumbnails.decode(TestImages.sample("mountain-path.jpg"));

        BufferedImage thumb = ImageIO.read(new ByteArrayInputStream(d.thumbnail()));
        assertThat(thumb.getWidth()).isEqualTo(160);
        assertThat(thumb.getHeight()).isEqualTo(120);
        assertThat(d.thumbnail().length).isBetween(1_000, 20_000);
        assertThat(d.pixels()).hasSize(224 * 224 * 3);
        // Never enlarged; none unless asked for.
        DecodedImage small = withThumbnails.decode(TestImages.encoded("png", 50, 40, Color.ORANGE));
        BufferedImage smallThumb = ImageIO.read(new ByteArrayInputStream(small.thumbnail()));
        assertThat(smallThumb.getWidth()).isEqualTo(50);
        assertThat(smallThumb.getHeight()).isEqualTo(40);
        assertThat(decoder.decode(TestImages.sample("mountain-path.jpg")).thumbnail())
                .isNull();
    }

    @Test
    void appliesExifOrientationToTheReportedSize() {
        // Stored 480 wide and 640 high, with orientation 6: upright it is 640 x 480.
        DecodedImage d = decoder.decode(TestImages.sample("mountain-path.jpg"));

        assertThat(d.orientation()).isEqualTo(6);
        assertThat(d.width()).isEqualTo(640);
        assertThat(d.height()).isEqualTo(480);
    }

    @Test
    void rotatesPixelsByTheOrientation() {
        // Left half red, right half blue. Orientation 6 means "rotate 90 degrees clockwise to view", which
        // brings the left (red) half to the top.
        byte[] jpeg = TestImages.twoColours(64, 32, Color.RED, Color.BLUE, "jpg");
        ImageDecoder tiny = new ImageDecoder(DecodeOptions.pixels(1_000_000, 2, 2, false));

        DecodedImage plain = tiny.decode(jpeg);
        DecodedImage rotated = tiny.decode(TestImages.withExifOrientation(jpeg, 6, true));

        assertThat(isRed(plain.pixels(), 0)).as("top-left, as stored").isTrue();
        assertThat(isRed(plain.pixels(), 1)).as("top-right, as stored").isFalse();
        assertThat(rotated.width()).isEqualTo(32);
        assertThat(rotated.height()).isEqualTo(64);
        assertThat(isRed(rotated.pixels(), 0)).as("top-left, upright").isTrue();
        assertThat(isRed(rotated.pixels(), 1)).as("top-right, upright").isTrue();
        assertThat(isRed(rotated.pixels(), 2)).as("bottom-left, upright").isFalse();
    }

    private static boolean isRed(byte[] rgb, int pixel) {
        return (rgb[pixel * 3] & 0xFF) > 180 && (rgb[pixel * 3 + 2] & 0xFF) < 80;
    }

    @Test
    void readsOrientationInBothByteOrders() {
        byte[] jpeg = TestImages.encoded("jpg", 40, 20, Color.GREEN);
        for (int o = 1; o <= 8; o++) {
            assertThat(ExifOrientation.read(TestImages.withExifOrientation(jpeg, o, true), ImageFormat.JPEG))
                    .isEqualTo(o);
            assertThat(ExifOrientation.read(TestImages.withExifOrientation(jpeg, o, false), ImageFormat.JPEG))
                    .isEqualTo(o);
        }
        assertThat(ExifOrientation.read(jpeg, ImageFormat.JPEG)).isEqualTo(1);
    }

    @Test
    void orientationTransformsMatchTheExifDefinitions() {
        // 3 x 2 image:  a b c / d e f
        int[] px = {1, 2, 3, 4, 5, 6};
        assertThat(ExifOrientation.apply(px, 3, 2, 1)).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(ExifOrientation.apply(px, 3, 2, 2)).containsExactly(3, 2, 1, 6, 5, 4);
        assertThat(ExifOrientation.apply(px, 3, 2, 3)).containsExactly(6, 5, 4, 3, 2, 1);
        assertThat(ExifOrientation.apply(px, 3, 2, 4)).containsExactly(4, 5, 6, 1, 2, 3);
        // The rest are 2 x 3.
        assertThat(ExifOrientation.apply(px, 3, 2, 5)).containsExactly(1, 4, 2, 5, 3, 6);
        assertThat(ExifOrientation.apply(px, 3, 2, 6)).containsExactly(4, 1, 5, 2, 6, 3);
        assertThat(ExifOrientation.apply(px, 3, 2, 7)).containsExactly(6, 3, 5, 2, 4, 1);
        assertThat(ExifOrientation.apply(px, 3, 2, 8)).containsExactly(3, 6, 2, 5, 1, 4);
    }

    @ParameterizedTest
    @MethodSource("truncatable")
    void rejectsTruncatedFilesAsCorrupt(String name) {
        DecodedImage d = decoder.decode(TestImages.truncated(TestImages.sample(name), 0.6));

        assertThat(d.reason()).as(name + ": " + d.message()).isEqualTo("CORRUPT_IMAGE");
    }

    static List<String> truncatable() {
        return List.of("coffee.jpg", "cat.png", "zinnias.gif", "rabbit.bmp", "rocket.webp");
    }

    @Test
    void rejectsPixelBombsFromTheHeader() {
        DecodedImage png = decoder.decode(TestImages.pngBomb(100_000, 100_000));
        DecodedImage jpeg = decoder.decode(TestImages.jpegBomb(60_000, 60_000));

        assertThat(png.reason()).isEqualTo("TOO_MANY_PIXELS");
        assertThat(png.message()).contains("100000x100000");
        assertThat(jpeg.reason()).isEqualTo("TOO_MANY_PIXELS");
    }

    @Test
    void rejectsNonImages() {
        assertThat(decoder.decode(TestImages.html()).reason()).isEqualTo("NOT_AN_IMAGE");
        assertThat(decoder.decode(new byte[0]).reason()).isEqualTo("NOT_AN_IMAGE");
        assertThat(decoder.decode(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}).reason())
                .isEqualTo("NOT_AN_IMAGE");
    }

    @Test
    void namesFormatsItDoesNotDecode() {
        DecodedImage tiff = decoder.decode(TestImages.tiffHeader());
        DecodedImage svg = decoder.decode("<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes());

        assertThat(tiff.reason()).isEqualTo("UNSUPPORTED_FORMAT");
        assertThat(tiff.format()).isEqualTo("tiff");
        assertThat(svg.reason()).isEqualTo("UNSUPPORTED_FORMAT");
    }

    @Test
    void decodesCmykJpegs() throws IOException {
        byte[] cmyk;
        try (var in = ImageDecoderTest.class.getResourceAsStream("/images/coffee-cmyk.jpg")) {
            cmyk = in.readAllBytes();
        }
        DecodedImage d = decoder.decode(cmyk);

        assertThat(d.isOk()).as(d.message()).isTrue();
        assertThat(d.width()).isEqualTo(160);
        // The same photo in RGB and in CMYK gives nearly the same thumbnail.
        byte[] rgb = decoder.decode(TestImages.sample("coffee.jpg")).pixels();
        double diff = 0;
        for (int i = 0; i < rgb.length; i++) {
            diff += Math.abs((rgb[i] & 0xFF) - (d.pixels()[i] & 0xFF));
        }
        assertThat(diff / rgb.length).isLessThan(20);
    }

    @Test
    void rejectsAJpegHeaderWithoutImageData() {
        assertThat(decoder.decode(TestImages.jpegBomb(100, 100)).reason()).isEqualTo("CORRUPT_IMAGE");
    }
}
