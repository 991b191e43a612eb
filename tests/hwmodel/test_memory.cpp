// Memory hierarchy, roofline and compressor: first-principles behaviour of the tiling model.
#include <anda/hw/accelerator.hpp>
#include <anda/hw/compressor.hpp>
#include <anda/hw/memory.hpp>
#include <catch2/catch.hpp>

using namespace anda::hw;

TEST_CASE("traffic: a GeMM that fits on chip moves each operand once", "[hwmodel][memory]") {
  const technology t{};
  const gemm g{module::qkv, "x", 16, 1024, 256, 1};
  const operand_bits b{};
  const auto tr = gemm_traffic(g, b, t);
  CHECK(tr.order == loop_order::all_on_chip);
  CHECK(tr.dram_act_bits == 16.0 * 1024 * 16);
  CHECK(tr.dram_weight_bits == 1024.0 * 256 * 4.125);
  CHECK(tr.dram_out_bits == 16.0 * 256 * 16);
}

TEST_CASE("traffic: prefill re-fetches, and narrower activations move fewer bits",
          "[hwmodel][memory]") {
  const technology t{};
  const gemm g{module::qkv, "q/k/v", 2048, 5120, 15360, 1};
  operand_bits fp16{};
  const auto a = gemm_traffic(g, fp16, t);
  CHECK(a.order != loop_order::all_on_chip);
  // 1 MB of INT4 + scales holds 5120 x 384 weights: 40 activation passes, or 21 weight passes.
  CHECK(a.dram_bits() > 16.0 * 2048 * 5120 + 4.125 * 5120 * 15360 + 16.0 * 2048 * 15360);
  operand_bits anda7{};
  anda7.act = 8;
  anda7.act_exp = 5.0 / 64;
  const auto b = gemm_traffic(g, anda7, t);
  CHECK(b.dram_bits() < a.dram_bits());
  CHECK(b.sram_bits < a.sram_bits);
  // A bigger weight buffer never costs more traffic.
  technology big = t;
  big.weight_buffer_bytes *= 4;
  CHECK(gemm_traffic(g, fp16, big).dram_bits() <= a.dram_bits());
}

TEST_CASE("roofline: prefill is compute-bound, decode is decided per GeMM", "[hwmodel][memory]") {
  const auto s = *find_preset("llama2-7b");
  run_config c{};
  const auto pre = evaluate(design::anda, s, {7, 6, 6, 6}, c);
  CHECK(pre.memory_bound_gemms == 0);
  // Decode: T = 1; one row of the array is busy; weights stream once per step.
  c.ph = phase::decode;
  const auto dec = evaluate(design::anda, s, {7, 6, 6, 6}, c);
  const auto dec_fp = evaluate(design::fp_fp, s, {7, 6, 6, 6}, c);
  CHECK(dec.macs == Approx(pre.macs / 2048));
  // Fig. 17's Anda memory ratios are a prefill figure; a decode step, dominated by the INT4
  // weights, keeps nearly all of FP-FP's DRAM energy on both bases.
  CHECK(dec.paper_calibrated.dram_j / dec_fp.paper_calibrated.dram_j > 0.95);
  CHECK(dec.first_principles.dram_j / dec_fp.first_principles.dram_j > 0.95);
  // FP-FP at 1024 MAC/cycle peak but 1/16 array use is still compute-bound at 256 GB/s ...
  CHECK(dec_fp.memory_bound_gemms == 0);
  // ... and a narrower bandwidth makes both memory-bound, with the same DRAM time (weights
  // dominate a decode step).
  c.tech.dram_bytes_per_s = 8e9;
  const auto slow = evaluate(design::anda, s, {7, 6, 6, 6}, c);
  const auto slow_fp = evaluate(design::fp_fp, s, {7, 6, 6, 6}, c);
  CHECK(slow.memory_bound_gemms == 4);
  CHECK(slow_fp.memory_bound_gemms == 4);
  CHECK(static_cast<double>(slow_fp.cycles) / static_cast<double>(slow.cycles) ==
        Approx(1.0).margin(0.01));
}

TEST_CASE("compressor: overlaps compute and never bounds a GeMM", "[hwmodel][memory]") {
  const compressor_model bpc{};
  CHECK(bpc.cycles(1024, 7) == 9);
  CHECK(bpc.cycles(1025, 7) == 18);
  const auto s = *find_preset("opt-1.3b");
  for (int m = 1; m <= 16; ++m) {
    const auto r = evaluate(design::anda, s, {m, m, m, m}, run_config{});
    for (const auto& g : r.gemms) CHECK(g.compressor_cycles < g.compute_cycles);
  }
}

TEST_CASE("group size: larger G costs fewer exponent bits, same cycles", "[hwmodel][memory]") {
  const auto s = *find_preset("llama2-7b");
  run_config c64{}, c16{};
  c16.group = 16;
  const auto a = evaluate(design::anda, s, {7, 7, 7, 7}, c64);
  const auto b = evaluate(design::anda, s, {7, 7, 7, 7}, c16);
  CHECK(a.cycles == b.cycles);
  CHECK(a.first_principles.dram_j < b.first_principles.dram_j);
}

TEST_CASE("Anda cycles follow (M+1)/16 of FP-FP exactly on tile-aligned shapes",
          "[hwmodel][memory]") {
  const auto s = *find_preset("llama2-7b");
  const run_config c{};
  const auto fp = evaluate(design::fp_fp, s, {}, c);
  for (int m = 1; m <= 16; ++m) {
    const auto a = evaluate(design::anda, s, {m, m, m, m}, c);
    CHECK(static_cast<double>(fp.cycles) / static_cast<double>(a.cycles) ==
          Approx(16.0 / (m + 1)).epsilon(1e-12));
  }
}
