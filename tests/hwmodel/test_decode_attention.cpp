// Decode with a KV cache (issue 17 part 4, our extension, not in the paper): the attention
// products and KV-cache traffic of a decode step, against hand-derived counts, and what the option
// changes (only the attention) and what it leaves alone (the paper's GeMMs).
#include <catch2/catch.hpp>

#include <anda/hw/hwmodel.hpp>

#include <algorithm>
#include <cstdint>

using namespace anda::hw;

namespace {

// A small GQA shape: 2 layers, 4 query heads sharing 2 kv heads (group 2), head_dim 16.
model_shape tiny() {
  return model_shape{"tiny", family::llama, 64, 128, 2, 4, 2, 16};
}

run_config decode(std::int64_t batch, std::int64_t context, bool kv_cache = true) {
  run_config c;
  c.ph = phase::decode;
  c.tokens = context;
  c.batch = batch;
  c.kv_cache = kv_cache;
  return c;
}

double weight_dram_bits(const design_cost& k) {
  double bits = 0;
  for (const auto& g : k.gemms) bits += g.tr.dram_weight_bits * static_cast<double>(g.g.count);
  return bits;
}

}  // namespace

// Hand derivation, tiny shape, batch 3, context 100, FP16 cache (16 bits), default 16 x 16 array
// of 64 lanes, FP-FP rate 16 cycles per chunk:
//   instances = layers x kv_heads x batch = 2 x 2 x 3 = 12; rows t = heads / kv_heads = 2
//   q.k^T: 2 x 16 times 16 x 100: 3200 MACs; p.v: 2 x 100 times 100 x 16: 3200 MACs
//   MACs = 12 x 6400 = 76800 = 2 x heads 4 x head_dim 16 x context 100 x layers 2 x batch 3
//   KV read = 2 (K and V) x kv_heads 2 x head_dim 16 x context 100 x 2 bytes x layers 2 x batch 3
//           = 76800 bytes; KV write = the same for one position = 768 bytes
//   DRAM per instance: q.k^T reads q (2 x 16 x 16 = 512 bits) and K (100 x 16 x 16 = 25600 bits);
//   p.v reads V (25600) and writes the output (512): 12 x 2 x 26112 = 626688 bits
//   compute: q.k^T ceil(2/16) x ceil(100/16) x ceil(16/64) x 16 = 1 x 7 x 1 x 16 = 112 cycles;
//            p.v   ceil(2/16) x ceil(16/16) x ceil(100/64) x 16 = 1 x 1 x 2 x 16 = 32 cycles
//   memory: 26112 bits / 7186 bits per cycle -> 4 cycles each: both compute-bound
//   cycles = 12 x (112 + 32) = 1728
TEST_CASE("decode attention: MACs, bytes and cycles of a small shape", "[hwmodel][kv]") {
  const auto products = decode_attention_products(tiny(), 3, 100);
  CHECK(products[0].t == 2);
  CHECK(products[0].k == 16);
  CHECK(products[0].n == 100);
  CHECK(products[1].k == 100);
  CHECK(products[1].n == 16);
  CHECK(products[0].count == 12);
  CHECK(products[0].macs() == 38400.0);
  CHECK(products[1].macs() == 38400.0);

  const auto a = decode_attention_cost(tiny(), 3, 100, technology{});
  CHECK(a.macs == 76800.0);
  CHECK(a.kv_read_bits / 8 == 76800.0);
  CHECK(a.kv_write_bits / 8 == 768.0);
  CHECK(a.dram_bits == 626688.0);
  CHECK(a.products[0].compute_cycles == 112);
  CHECK(a.products[1].compute_cycles == 32);
  CHECK(a.products[0].memory_cycles == 4);
  CHECK(a.memory_bound_products == 0);
  CHECK(a.cycles == 1728);
  CHECK(a.latency_s == Approx(1728 / 285e6).epsilon(1e-12));
  // Energy: MACs at the FP-FP MAC energy, DRAM bits at 3.9 pJ.
  CHECK(a.first_principles.compute_j ==
        Approx(76800 * fp_fp_mac_energy_pj(technology{}) * 1e-12).epsilon(1e-12));
  CHECK(a.first_principles.dram_j == Approx(626688 * 3.9e-12).epsilon(1e-12));
  CHECK(a.first_principles.sram_j > 0);
}

TEST_CASE("decode attention: latency is max(compute, memory) per product", "[hwmodel][kv]") {
  technology slow;
  slow.dram_bytes_per_s = 1e6;  // 1 MB/s: every product waits for DRAM
  const auto m = decode_attention_cost(tiny(), 3, 100, slow);
  const auto c = decode_attention_cost(tiny(), 3, 100, technology{});
  CHECK(m.memory_bound_products == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    INFO(i);
    const auto& p = m.products[i];
    CHECK(p.memory_bound);
    CHECK(p.cycles == std::max(p.compute_cycles, p.memory_cycles));
    CHECK(p.cycles == p.memory_cycles);
    CHECK(p.compute_cycles == c.products[i].compute_cycles);  // compute does not see the DRAM
    CHECK(c.products[i].cycles == c.products[i].compute_cycles);
  }
  CHECK(m.cycles == 12 * (m.products[0].cycles + m.products[1].cycles));
  // Energy does not depend on the bound.
  CHECK(m.first_principles.total_j() == Approx(c.first_principles.total_j()).epsilon(1e-12));
}

TEST_CASE("decode attention: off by default; on, it only adds to the GeMMs", "[hwmodel][kv]") {
  const auto s = *find_preset("llama2-7b");
  const mantissa_tuple m{7, 6, 6, 6};
  CHECK_FALSE(run_config{}.kv_cache);
  CHECK(run_config{}.batch == 1);
  for (auto d : all_designs) {
    INFO(pe(d).name);
    const auto off = evaluate(d, s, m, decode(1, 4096, false));
    const auto on = evaluate(d, s, m, decode(1, 4096, true));
    CHECK(off.attention.cycles == 0);
    CHECK(off.attention.macs == 0);
    CHECK(off.attention.paper_calibrated.total_j() == 0);
    // The GeMMs are untouched; the totals are GeMMs + attention.
    REQUIRE(on.gemms.size() == off.gemms.size());
    for (std::size_t i = 0; i < on.gemms.size(); ++i) {
      CHECK(on.gemms[i].cycles == off.gemms[i].cycles);
      CHECK(on.gemms[i].first_principles.total_j() == off.gemms[i].first_principles.total_j());
    }
    CHECK(on.macs == off.macs);
    CHECK(on.area_mm2 == off.area_mm2);  // [A] the FP16 x FP16 path is not charged
    CHECK(on.cycles == off.cycles + on.attention.cycles);
    CHECK(on.first_principles.total_j() ==
          Approx(off.first_principles.total_j() + on.attention.first_principles.total_j())
              .epsilon(1e-12));
    CHECK(on.paper_calibrated.total_j() ==
          Approx(off.paper_calibrated.total_j() + on.attention.paper_calibrated.total_j())
              .epsilon(1e-12));
  }
  // The same attention in every design (it runs at the FP-FP rate everywhere).
  const auto a = evaluate(design::anda, s, m, decode(1, 4096)).attention;
  const auto f = evaluate(design::fp_fp, s, m, decode(1, 4096)).attention;
  CHECK(a.cycles == f.cycles);
  CHECK(a.paper_calibrated.total_j() == f.paper_calibrated.total_j());
  // A prefill has no KV cache to read: the switch does nothing there.
  run_config prefill;
  prefill.kv_cache = true;
  CHECK(evaluate(design::anda, s, m, prefill).cycles ==
        evaluate(design::anda, s, m, run_config{}).cycles);
  CHECK(evaluate(design::anda, s, m, prefill).attention.cycles == 0);
}

TEST_CASE("decode attention: its share grows with the context", "[hwmodel][kv]") {
  const auto s = *find_preset("llama2-7b");
  for (auto d : {design::fp_fp, design::anda}) {
    double last_latency = 0, last_energy = 0;
    for (std::int64_t ctx = 128; ctx <= 131072; ctx *= 2) {
      INFO(pe(d).name << " context " << ctx);
      const auto k = evaluate(d, s, {7, 6, 6, 6}, decode(1, ctx));
      const double latency = k.attention.latency_s / k.latency_s;
      const double energy = k.attention.paper_calibrated.total_j() / k.paper_calibrated.total_j();
      CHECK(latency > last_latency);
      CHECK(energy > last_energy);
      last_latency = latency, last_energy = energy;
    }
    CHECK(last_latency > 0.5);  // at 128k positions attention dominates the step
  }
  // Anda's GeMMs are faster, so attention takes a larger share of its step than of FP-FP's.
  const auto anda = evaluate(design::anda, s, {7, 6, 6, 6}, decode(1, 4096));
  const auto fp = evaluate(design::fp_fp, s, {7, 6, 6, 6}, decode(1, 4096));
  CHECK(anda.attention.latency_s / anda.latency_s > fp.attention.latency_s / fp.latency_s);
}

TEST_CASE("decode attention: batch scales the KV traffic, not the weights", "[hwmodel][kv]") {
  const auto s = *find_preset("llama3-8b");  // GQA: 8 kv heads
  const mantissa_tuple m{7, 6, 6, 6};
  const auto one = evaluate(design::anda, s, m, decode(1, 2048));
  for (std::int64_t b : {2, 8, 32}) {
    INFO("batch " << b);
    const auto k = evaluate(design::anda, s, m, decode(b, 2048));
    const double bd = static_cast<double>(b);
    CHECK(k.attention.kv_read_bits == bd * one.attention.kv_read_bits);
    CHECK(k.attention.kv_write_bits == bd * one.attention.kv_write_bits);
    CHECK(k.attention.macs == bd * one.attention.macs);
    CHECK(k.attention.cycles == b * one.attention.cycles);
    // The sequences share the weights: the FP-INT GeMMs run on B rows and read them once.
    CHECK(weight_dram_bits(k) == weight_dram_bits(one));
    CHECK(k.gemms.front().g.t == b);
  }
  // KV cache of LLaMA-3-8B, 2048 positions: 2 x 8 x 128 x 2048 x 2 bytes x 32 layers = 256 MiB.
  CHECK(one.attention.kv_read_bits / 8 == 256.0 * 1024 * 1024);
}

TEST_CASE("decode attention: counts are checked", "[hwmodel][kv]") {
  auto wide = *find_preset("llama2-70b");
  wide.layers = std::int64_t{1} << 40;
  CHECK_THROWS_AS(decode_attention_cost(wide, std::int64_t{1} << 30, 1 << 20, technology{}),
                  cost_overflow);
}
